import * as fs from "node:fs";
import * as path from "node:path";

/**
 * Committed provider lock files, one per stack: `terraform-locks/<stack>.terraform.lock.hcl`.
 * terraform-stack.yml copies the stack's file into the synthesized stack and runs
 * `terraform init -lockfile=readonly`, so a provider whose checksum differs from the committed one
 * is refused instead of trusted on first use.
 *
 * Generate one on a machine that reaches the Terraform registry, after `npm run synth`:
 *   terraform -chdir=cdktf.out/stacks/<stack> providers lock -platform=linux_amd64 -platform=darwin_arm64
 *   cp cdktf.out/stacks/<stack>/.terraform.lock.hcl terraform-locks/<stack>.terraform.lock.hcl
 * A lock file needs the official release archives (their `zh:` hashes come from the registry's
 * signed SHA256SUMS); a provider built from source has other checksums, so the offline mirrors
 * here (AWS 5.100 instead of the pinned 6.25, a patched source build of azurerm 4.55, no google)
 * cannot produce a valid lock file for any stack. See "Provider lock files" in docs/gitops.md.
 */
export const LOCK_DIR = "terraform-locks";

export interface LockedProvider {
  readonly source: string;
  readonly version: string;
  readonly constraints?: string;
  readonly hashes: readonly string[];
}

/** The `provider "…" { version = …; constraints = …; hashes = [...] }` blocks of a lock file. */
export function parseLockFile(text: string): LockedProvider[] {
  const out: LockedProvider[] = [];
  for (const m of text.matchAll(/provider\s+"([^"]+)"\s*\{([\s\S]*?)\n\}/g)) {
    const body = m[2];
    const version = /\bversion\s*=\s*"([^"]+)"/.exec(body)?.[1] ?? "";
    const constraints = /\bconstraints\s*=\s*"([^"]+)"/.exec(body)?.[1];
    const hashes = [.../\bhashes\s*=\s*\[([\s\S]*?)\]/.exec(body)?.[1].matchAll(/"([^"]+)"/g) ?? []].map((h) => h[1]);
    out.push({ source: m[1], version, ...(constraints ? { constraints } : {}), hashes });
  }
  return out;
}

/** `aws` → `registry.terraform.io/hashicorp/aws`; `integrations/github` → `registry.terraform.io/integrations/github`. */
export function fullSource(source: string): string {
  const parts = source.split("/");
  if (parts.length === 3) return source.toLowerCase();
  if (parts.length === 2) return `registry.terraform.io/${source}`.toLowerCase();
  return `registry.terraform.io/hashicorp/${source}`.toLowerCase();
}

/** `1.2.3` → [1, 2, 3]. */
const parts = (v: string) => v.split(".").map((x) => Number(x));
function compare(a: string, b: string): number {
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/** Whether `version` meets a Terraform version constraint (`>= 6.15.0, < 7.0.0`, `~> 6.15`, `= 6.25.0`). */
export function satisfies(version: string, constraint: string): boolean {
  return constraint.split(",").map((c) => c.trim()).filter(Boolean).every((c) => {
    const m = /^(>=|<=|!=|~>|>|<|=)?\s*(\d+(?:\.\d+)*)$/.exec(c);
    if (!m) return false;
    const [, op = "=", v] = m;
    const d = compare(version, v);
    if (op === "~>") {
      // ~> 6.15 allows 6.x ≥ 6.15; ~> 6.15.0 allows 6.15.x.
      const fixed = parts(v).slice(0, -1);
      return d >= 0 && fixed.every((n, i) => parts(version)[i] === n);
    }
    return { ">=": d >= 0, "<=": d <= 0, ">": d > 0, "<": d < 0, "=": d === 0, "!=": d !== 0 }[op]!;
  });
}

/** What is wrong with a lock file for a stack's `required_providers` (empty: it fits). */
export function checkLockFile(text: string, required: Record<string, { source?: string; version?: string }>): string[] {
  const locked = new Map(parseLockFile(text).map((p) => [p.source.toLowerCase(), p]));
  const problems: string[] = [];
  for (const [name, r] of Object.entries(required)) {
    const source = fullSource(r.source ?? name);
    const l = locked.get(source);
    if (!l) {
      problems.push(`${source} is not locked`);
      continue;
    }
    if (r.version && /^\d+\.\d+\.\d+$/.test(r.version) && l.version !== r.version) problems.push(`${source}: locked ${l.version}, the stack pins ${r.version}`);
    else if (r.version && !/^\d+\.\d+\.\d+$/.test(r.version) && !satisfies(l.version, r.version)) problems.push(`${source}: locked ${l.version}, outside the stack's range ${r.version}`);
    if (!l.hashes.some((h) => /^zh:[0-9a-f]{64}$/.test(h))) problems.push(`${source}: no zh: checksum of the official release archive`);
    if (!l.hashes.some((h) => /^h1:[A-Za-z0-9+/=]{44}$/.test(h))) problems.push(`${source}: no h1: checksum`);
    locked.delete(source);
  }
  for (const extra of locked.keys()) problems.push(`${extra} is locked but the stack does not use it`);
  return problems;
}

/** Every committed lock file checked against the synthesized stack of the same name. */
export function checkCommittedLocks(root: string, outdir: string): { stack: string; problems: string[] }[] {
  const dir = path.join(root, LOCK_DIR);
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith(".terraform.lock.hcl")).sort().map((f) => {
    const stack = f.replace(/\.terraform\.lock\.hcl$/, "");
    const synth = path.join(outdir, "stacks", stack, "cdk.tf.json");
    if (!fs.existsSync(synth)) return { stack, problems: [`no synthesized stack ${stack}`] };
    const required = JSON.parse(fs.readFileSync(synth, "utf8")).terraform?.required_providers ?? {};
    return { stack, problems: checkLockFile(fs.readFileSync(path.join(dir, f), "utf8"), required) };
  });
}
