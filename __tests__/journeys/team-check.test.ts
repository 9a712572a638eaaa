import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/**
 * Issue 26, item 2: a team edits environments/*.ts and stacks/composition.ts (and keeps its own
 * policy/ files), and the check passes with its services and only its own suppressions, with no
 * edit to the platform's tests. On a copy of the repository (its files as git lists them,
 * node_modules linked, the build copied so only what changed compiles again) with the team's
 * files from __tests__/fixtures/team: two environments (dev on AWS and GCP with its budget split,
 * prod on AWS and Azure), the four ported services, its own suppressions. There the check's parts
 * run as a team runs them: `polycloud synth`, `policy`, `cost --check`, `addresses` (recorded, as
 * the team commits it, then checked) and the jest files that read the project's composition,
 * environments or policy files. Then the negative controls: a team suppression that accepts
 * nothing, and a sample suppression left in the team's file, are reported as unused.
 */
const ROOT = path.resolve(__dirname, "../..");
const TEAM = path.join(ROOT, "__tests__", "fixtures", "team");

interface Run { code: number | null; out: string }

function run(cwd: string, args: string[], timeoutMs = 1_200_000): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, FORCE_COLOR: "0", CI: "true" } });
    let out = "";
    child.stdout.on("data", (d) => { out += d; });
    child.stderr.on("data", (d) => { out += d; });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code) => { clearTimeout(timer); resolve({ code, out }); });
  });
}

/** The repository as git lists it (tracked and new files), node_modules linked, the compiled output copied. */
function copyRepository(to: string): void {
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT }).toString().split("\0").filter(Boolean);
  for (const f of files) {
    const from = path.join(ROOT, f);
    if (!fs.existsSync(from)) continue;
    fs.mkdirSync(path.dirname(path.join(to, f)), { recursive: true });
    fs.copyFileSync(from, path.join(to, f));
    const { atime, mtime } = fs.statSync(from);
    fs.utimesSync(path.join(to, f), atime, mtime);
  }
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(to, "node_modules"));
  // Built output with its timestamps: `tsc -b` in the copy compiles only the projects whose sources changed.
  const built = ["dist", ...fs.readdirSync(path.join(ROOT, "modules")).map((m) => path.join("modules", m, "lib"))];
  for (const b of built.filter((d) => fs.existsSync(path.join(ROOT, d)))) fs.cpSync(path.join(ROOT, b), path.join(to, b), { recursive: true, preserveTimestamps: true });
}

/** What a team changes: its environments, its composition, its suppressions. */
function applyTeam(to: string): void {
  for (const f of fs.readdirSync(path.join(to, "environments"))) fs.rmSync(path.join(to, "environments", f));
  for (const f of fs.readdirSync(path.join(TEAM, "environments"))) fs.copyFileSync(path.join(TEAM, "environments", f), path.join(to, "environments", f));
  // The fixture compiles in place (__tests__/fixtures/team/stacks); at stacks/ its imports of the ported services are these.
  const composition = fs.readFileSync(path.join(TEAM, "stacks", "composition.ts"), "utf8").replace(/"\.\.\/\.\.\/(ported\/[\w-]+|coffee-service)"/g, '"../__tests__/fixtures/$1"');
  expect(composition).toContain('"../__tests__/fixtures/ported/four-services"');
  fs.writeFileSync(path.join(to, "stacks", "composition.ts"), composition);
  fs.copyFileSync(path.join(TEAM, "suppressions.json"), path.join(to, "policy", "suppressions.json"));
}

/** The jest files that read the project's composition, environments or policy files (the rest use their own fixtures). */
function testsReadingTheProject(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".test.ts") && /synthesizeApp|appIsReference|stacks\/composition"|"(\.\.\/)+environments"|policy\/(suppressions|stateful-addresses|destroy-allowlist)\.json/.test(fs.readFileSync(p, "utf8"))) out.push(path.relative(root, p));
    }
  };
  walk(path.join(root, "__tests__"));
  // The integration and behaviour projects run elsewhere; this file itself is one of them.
  return out.filter((f) => !f.startsWith(path.join("__tests__", "journeys")) && !f.startsWith(path.join("__tests__", "behaviour-ci"))).sort();
}

describe("a team's environments and composition on a copy of the repository", () => {
  let copy: string;

  beforeAll(() => {
    // The compiled code the copy starts from (what a clone has after its first build).
    execFileSync(process.execPath, [path.join(ROOT, "scripts", "build-if-stale.mjs")], { cwd: ROOT, stdio: "inherit" });
    copy = fs.mkdtempSync(path.join(os.tmpdir(), "polycloud-team-check-"));
    copyRepository(copy);
    applyTeam(copy);
  }, 600_000);
  afterAll(() => fs.rmSync(copy, { recursive: true, force: true }));

  const polycloud = (...args: string[]) => run(copy, [path.join(copy, "modules", "cli", "bin", "polycloud.js"), ...args]);

  test("synth, policy, cost --check and addresses pass with the team's services and only its suppressions", async () => {
    const synth = await polycloud("synth");
    expect({ code: synth.code, out: synth.code ? synth.out : "" }).toEqual({ code: 0, out: "" });
    expect(synth.out).toContain("synth: 4 stacks in cdktf.out: dev-aws, dev-gcp, prod-aws, prod-azure");
    const manifest = JSON.parse(fs.readFileSync(path.join(copy, "cdktf.out", "polycloud-composition.json"), "utf8"));
    expect(manifest.services.dev.map((s: { name: string }) => s.name)).toEqual(["orders", "shopcart", "coffee", "ingest"]);

    const policy = await polycloud("policy", "--json");
    expect(policy.code).toBe(0);
    const judged = JSON.parse(policy.out.slice(policy.out.indexOf("{")));
    expect(judged).toMatchObject({ ok: true, failing: 0, unusedSuppressions: [] });
    expect(judged.findings.filter((f: { suppressed?: boolean; note?: boolean }) => !f.suppressed && !f.note)).toEqual([]);
    // Only the team's own entries accepted anything.
    const team = JSON.parse(fs.readFileSync(path.join(TEAM, "suppressions.json"), "utf8")).suppressions as { target: string }[];
    expect(judged.findings.some((f: { suppressed?: boolean }) => f.suppressed)).toBe(true);

    const cost = await polycloud("cost", "--check");
    expect({ code: cost.code, out: cost.code ? cost.out : "" }).toEqual({ code: 0, out: "" });
    // The team's budgets, not the sample's: dev split 20/80 of $1000, prod $16000 per cloud.
    expect(cost.out).toMatch(/cost: dev \(scope split: \$1000\.00 divided aws 20% \/ gcp 80%\)/);
    expect(cost.out).toMatch(/cost: prod \(scope per-cloud: each cloud's budget is the full \$16000\.00/);

    // The team records its stateful addresses once (and commits them); then the check holds the stacks to them.
    expect((await polycloud("addresses")).code).toBe(0);
    const addresses = await polycloud("addresses", "--check");
    expect({ code: addresses.code, out: addresses.code ? addresses.out : "" }).toEqual({ code: 0, out: "" });
    expect(team.length).toBeGreaterThan(0);
  }, 1_800_000);

  test("the platform's tests that read the project's files pass there, unedited", async () => {
    const files = testsReadingTheProject(copy);
    expect(files).toEqual(expect.arrayContaining([path.join("__tests__", "policy", "all-stacks.test.ts")]));
    // Unedited: the copy's tests are the repository's.
    for (const f of files) expect(fs.readFileSync(path.join(copy, f), "utf8")).toBe(fs.readFileSync(path.join(ROOT, f), "utf8"));
    const jest = await run(copy, [path.join(copy, "node_modules", "jest", "bin", "jest.js"), "--ci", ...files]);
    expect({ code: jest.code, out: jest.code ? jest.out.slice(-20_000) : "" }).toEqual({ code: 0, out: "" });
  }, 1_800_000);

  test("negative controls: a team suppression that accepts nothing, and a sample suppression left in, are reported as unused", async () => {
    const file = path.join(copy, "policy", "with-leftovers.json");
    const team = JSON.parse(fs.readFileSync(path.join(TEAM, "suppressions.json"), "utf8")).suppressions;
    // AWS has no plain-HTTP front; the sample's dev-gcp entry (its dev has no domain) accepts nothing where the team's dev has one.
    const nothing = { condition: "PC013.plain-http", target: "shopcart/gateway-*/http", stacks: ["dev-aws"], justification: "a team entry that matches no finding of its stacks" };
    const sample = JSON.parse(fs.readFileSync(path.join(ROOT, "__tests__", "fixtures", "sample", "suppressions.json"), "utf8")).suppressions
      .find((s: { condition: string; stacks: string[] }) => s.condition === "PC013.plain-http" && s.stacks.includes("dev-gcp"));
    expect(sample).toBeDefined();
    fs.writeFileSync(file, JSON.stringify({ suppressions: [...team, nothing, sample] }, null, 2));
    const policy = await polycloud("policy", "--suppressions", file);
    expect(policy.out).toContain("unused suppression: PC013.plain-http shopcart/gateway-*/http in dev-aws");
    expect(policy.out).toContain(`unused suppression: PC013.plain-http ${sample.target} in dev-gcp`);
    // The sample's other entries name only stacks the team does not render (staging, dev-azure): out of scope, counted.
    const all = JSON.parse(fs.readFileSync(path.join(ROOT, "__tests__", "fixtures", "sample", "suppressions.json"), "utf8")).suppressions;
    fs.writeFileSync(file, JSON.stringify({ suppressions: [...team, ...all] }, null, 2));
    const out = (await polycloud("policy", "--json", "--suppressions", file)).out;
    const withSample = JSON.parse(out.slice(out.indexOf("{")));
    // The sample's prod-azure topic entry duplicates the team's own (which accepted the finding): reported too.
    expect(withSample.unusedSuppressions.map((s: { target: string; stacks: string[] }) => `${s.target} ${s.stacks.join(",")}`).sort())
      .toEqual(["orders/bus-events/topic dev-azure,staging-azure,prod-azure", "orders/gateway-public/http dev-gcp"]);
    expect(withSample.outOfScopeSuppressions).toBeGreaterThan(0);
  }, 1_800_000);
});
