import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/**
 * Offline Terraform over synthesized AWS stacks: the local provider mirror, a copy of the stack
 * with fake credentials and no remote backend. Used by `polycloud plan offline` (the local
 * stand-in for the pull request's credentialed plans) and the offline plan tests.
 */

/** Finds an executable on PATH (no hard-coded locations). */
export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      /* keep looking */
    }
  }
  return undefined;
}

/**
 * Finds a local provider mirror holding hashicorp/aws: TF_PLUGIN_DIR if set, the terraform CLI
 * config's filesystem_mirror, then the usual plugin roots, searched a few levels deep.
 */
export function findAwsProviderMirror(): string | undefined {
  const roots = [
    process.env.TF_PLUGIN_DIR,
    ...cliConfigMirrors(),
    path.join(os.homedir(), ".terraform.d", "plugins"),
    "/usr/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "/opt",
  ].filter((r): r is string => !!r && fs.existsSync(r));
  for (const root of roots) {
    const found = search(root, 0);
    if (found) return found;
  }
  return undefined;
}

function cliConfigMirrors(): string[] {
  const file = process.env.TF_CLI_CONFIG_FILE ?? path.join(os.homedir(), ".terraformrc");
  if (!fs.existsSync(file)) return [];
  return [...fs.readFileSync(file, "utf8").matchAll(/filesystem_mirror\s*{[^}]*path\s*=\s*"([^"]+)"/g)].map((m) => m[1]);
}

/** Returns the directory that contains `registry.terraform.io/hashicorp/aws/<version>/<os_arch>`. */
function search(dir: string, depth: number): string | undefined {
  if (fs.existsSync(path.join(dir, "registry.terraform.io", "hashicorp", "aws"))) return dir;
  if (depth >= 3) return undefined;
  let entries: fs.Dirent[] = [];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  for (const e of entries) {
    if (e.isDirectory() && !e.name.startsWith(".") && e.name !== "node_modules") {
      const hit = search(path.join(dir, e.name), depth + 1);
      if (hit) return hit;
    }
  }
  return undefined;
}

export function mirrorProviderVersion(mirror: string): string | undefined {
  return fs.readdirSync(path.join(mirror, "registry.terraform.io", "hashicorp", "aws"))[0];
}

/**
 * Copies a synthesized stack for an offline run: relaxes the provider version (the mirror holds an
 * older major than the bindings pin), drops the remote backend, and adds fake credentials with the
 * provider's skip_* flags. The stack in cdktf.out is never changed.
 */
/**
 * Provider 6.x arguments unknown to the 5.x mirror. `aws_db_proxy.default_auth_scheme` (end-to-end
 * IAM) exists in provider 6.25 (its schema and the bindings have it) but not in 5.100.
 */
export const NEWER_THAN_MIRROR: Readonly<Record<string, readonly string[]>> = {
  aws_db_proxy: ["default_auth_scheme"],
};

/**
 * Blocks the 5.x mirror requires where 6.x does not: `aws_db_proxy.auth` is required (MinItems 1)
 * in 5.100 and optional in 6.25, where end-to-end IAM (`default_auth_scheme`) needs no secret and
 * the stacks set none. The copy alone gets this placeholder, so the rest of the proxy still
 * validates against the mirror; cdktf.out is never changed.
 */
export const REQUIRED_BY_MIRROR: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  aws_db_proxy: { auth: [{ auth_scheme: "SECRETS", iam_auth: "REQUIRED", secret_arn: "arn:aws:secretsmanager:eu-west-1:111111111111:secret:offline-mirror-placeholder" }] },
};

export function prepareOfflineCopy(stackDir: string, into: string): string {
  fs.cpSync(stackDir, into, { recursive: true });
  const file = path.join(into, "cdk.tf.json");
  const json = JSON.parse(fs.readFileSync(file, "utf8"));
  json.terraform.required_providers.aws.version = ">= 5.0";
  delete json.terraform.backend;
  for (const p of json.provider.aws) {
    Object.assign(p, {
      access_key: "AKIAIOSFODNN7EXAMPLE",
      secret_key: "fake-secret-key-for-offline-plan",
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
      skip_metadata_api_check: true,
      skip_region_validation: true,
    });
    // The account cannot be verified offline.
    delete p.allowed_account_ids;
  }
  // Arguments the bindings' provider (6.x) has and the older mirror does not: removed from the copy
  // only, each listed so nothing else is silently dropped. The plan then checks everything else.
  for (const [type, attributes] of Object.entries(NEWER_THAN_MIRROR)) {
    for (const resource of Object.values<Record<string, unknown>>(json.resource?.[type] ?? {})) {
      for (const attribute of attributes) delete resource[attribute];
    }
  }
  for (const [type, blocks] of Object.entries(REQUIRED_BY_MIRROR)) {
    for (const resource of Object.values<Record<string, unknown>>(json.resource?.[type] ?? {})) {
      for (const [name, value] of Object.entries(blocks)) if (resource[name] === undefined) resource[name] = value;
    }
  }
  fs.writeFileSync(file, JSON.stringify(json, null, 1));
  return into;
}

export function terraform(bin: string, cwd: string, args: string[]): string {
  return execFileSync(bin, args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, TF_IN_AUTOMATION: "1", TF_INPUT: "0", CHECKPOINT_DISABLE: "1", AWS_EC2_METADATA_DISABLED: "true" },
    maxBuffer: 256 * 1024 * 1024,
  });
}

/**
 * The folder with the azurerm provider builds (`terraform-providers/install.sh`): POLYCLOUD_SHARED_DIR
 * if set, else `shared/` next to the repository or next to one of its parents (a worktree lives
 * deeper than the main checkout). Undefined when none is found.
 */
export function findSharedProviders(repoRoot: string = process.cwd()): string | undefined {
  const fromEnv = process.env.POLYCLOUD_SHARED_DIR;
  const candidates = fromEnv ? [fromEnv] : [];
  let dir = path.resolve(repoRoot);
  for (let i = 0; i < 5; i++) {
    candidates.push(path.join(path.dirname(dir), "shared"));
    if (path.dirname(dir) === dir) break;
    dir = path.dirname(dir);
  }
  for (const shared of candidates) {
    const providers = path.join(shared, "terraform-providers");
    if (fs.existsSync(path.join(providers, "install.sh"))) return providers;
  }
  return undefined;
}

/** A cache folder outside the repository for provider mirrors and schemas (POLYCLOUD_TF_CACHE overrides). */
export function terraformCacheDir(): string {
  const dir = process.env.POLYCLOUD_TF_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "polycloud-terraform");
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Unpacks azurerm `version` from the shared folder into `mirror` (idempotent, hash-checked by install.sh). */
export function installAzurerm(providers: string, mirror: string, version: string): string {
  return execFileSync("bash", [path.join(providers, "install.sh"), mirror, version], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

/**
 * Copies a synthesized Azure stack for an offline run: no remote backend. Provider settings stay
 * as synthesized (validate needs no credentials), so the pinned provider version is what runs.
 */
export function prepareAzureOfflineCopy(stackDir: string, into: string): string {
  fs.cpSync(stackDir, into, { recursive: true });
  const file = path.join(into, "cdk.tf.json");
  const json = JSON.parse(fs.readFileSync(file, "utf8"));
  delete json.terraform.backend;
  fs.writeFileSync(file, JSON.stringify(json, null, 1));
  return into;
}
