import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CliContext, Project, perStackResults } from "@polycloud/cli";
import { writeStamp } from "@polycloud/core";
import { runApp } from "@polycloud/stacks";
import { environments } from "../fixtures/sample/environments";
import { referenceService } from "../../stacks/reference-service";
import { polycloud } from "../helpers/cli";

/**
 * The per-stack cache of `polycloud policy` and `polycloud cost` (modules/core/src/evaluation-cache.ts,
 * modules/cli/src/stack-results.ts): an unchanged stack is read back, a changed one is evaluated
 * again, and every report equals a run without the cache (POLYCLOUD_EVAL_CACHE=0) on the same output.
 */
let root: string;
let dir: string;
let outdir: string;
const savedCacheDir = process.env.POLYCLOUD_CACHE_DIR;
const dev = environments.find((e) => e.name === "dev")!;
const stackFile = (name: string) => path.join(outdir, "stacks", name, "cdk.tf.json");

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "polycloud-evalcache-"));
  process.env.POLYCLOUD_CACHE_DIR = path.join(root, "cache");
  dir = path.join(root, "project");
  outdir = path.join(dir, "cdktf.out");
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "cdktf.json"), JSON.stringify({ language: "typescript", app: "node app.js" }));
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "team-platform", private: true, polycloud: { sources: ["cdktf.json"] } }));
  const env = { ...dev, clouds: { aws: dev.clouds.aws, gcp: dev.clouds.gcp } };
  expect(await runApp({ environments: [env], service: referenceService }, { outdir, out: () => undefined, err: () => undefined })).toBe(0);
  writeStamp(outdir, dir, ["cdktf.json"]);
});
afterAll(() => {
  if (savedCacheDir === undefined) delete process.env.POLYCLOUD_CACHE_DIR;
  else process.env.POLYCLOUD_CACHE_DIR = savedCacheDir;
  fs.rmSync(root, { recursive: true, force: true });
});

const ctx = (env: NodeJS.ProcessEnv = {}): CliContext => ({ cwd: dir, env: { ...process.env, ...env }, out: () => undefined, err: () => undefined, interactive: false });
const project = (): Project => ({ root: dir, outdir, config: {} } as Project);

/** Each stack's resource count, counting the stacks actually parsed. */
function count(kind: string, context = "", env: NodeJS.ProcessEnv = {}) {
  const computed: string[] = [];
  const values = perStackResults(ctx(env), project(), kind, () => context, (name, json) => {
    computed.push(name);
    return Object.values(json.resource as Record<string, object>).reduce((n, byName) => n + Object.keys(byName).length, 0);
  });
  return { computed, values: Object.fromEntries(values.map((v) => [v.name, v.value])) };
}

/** Both reports, with the cache (the default) or without it. */
async function reports(cache: boolean) {
  const env = { ...process.env, ...(cache ? {} : { POLYCLOUD_EVAL_CACHE: "0" }) };
  const policy = await polycloud(["policy", "--json", "--fail-on", "critical", "--sarif", path.join(root, "policy.sarif")], { cwd: dir, env });
  const cost = await polycloud(["cost", "--json"], { cwd: dir, env });
  expect({ policy: policy.code, cost: cost.code, stderr: policy.stderr + cost.stderr }).toEqual({ policy: 0, cost: 0, stderr: "" });
  return { policy: policy.stdout, sarif: fs.readFileSync(path.join(root, "policy.sarif"), "utf8"), cost: cost.stdout };
}

test("unchanged stacks are read back, a changed one is parsed again; a rewrite with the same bytes is not", () => {
  const first = count("test-count");
  expect(first.computed).toEqual(["dev-aws", "dev-gcp"]);
  expect(count("test-count")).toEqual({ computed: [], values: first.values });
  // Another context (for policy: another retention) is another result; it replaces the entry (one per stack).
  expect(count("test-count", "other").computed).toEqual(["dev-aws", "dev-gcp"]);
  expect(count("test-count").computed).toEqual(["dev-aws", "dev-gcp"]);

  const json = JSON.parse(fs.readFileSync(stackFile("dev-gcp"), "utf8"));
  json.resource.google_storage_bucket = { ...json.resource.google_storage_bucket, extra: { name: "extra", location: "EU" } };
  fs.writeFileSync(stackFile("dev-gcp"), JSON.stringify(json, null, 2));
  const changed = count("test-count");
  expect(changed.computed).toEqual(["dev-gcp"]);
  expect(changed.values).toEqual({ "dev-aws": first.values["dev-aws"], "dev-gcp": first.values["dev-gcp"] + 1 });

  // The same bytes written again: the file's identity changed, so it is hashed again, and reused.
  fs.writeFileSync(stackFile("dev-aws"), fs.readFileSync(stackFile("dev-aws")));
  expect(count("test-count").computed).toEqual([]);
  // A torn cache entry is evaluated again.
  for (const f of fs.readdirSync(path.join(root, "cache", "evaluations"))) fs.writeFileSync(path.join(root, "cache", "evaluations", f), "{");
  expect(count("test-count").computed).toEqual(["dev-aws", "dev-gcp"]);
  // POLYCLOUD_EVAL_CACHE=0: every stack is parsed.
  expect(count("test-count", "", { POLYCLOUD_EVAL_CACHE: "0" }).computed).toEqual(["dev-aws", "dev-gcp"]);
});

test("policy and cost with the cache report what a run without it reports, before and after a stack changes", async () => {
  const cold = await reports(false);
  expect(await reports(true)).toEqual(cold); // fills the cache
  expect(await reports(true)).toEqual(cold); // reads it back

  // A change that moves both reports: one more customer-managed key (billed monthly), without rotation (a finding).
  const json = JSON.parse(fs.readFileSync(stackFile("dev-aws"), "utf8"));
  json.resource.aws_kms_key = { ...json.resource.aws_kms_key, orders_extra_0A1B2C3D: { description: "extra", enable_key_rotation: false } };
  fs.writeFileSync(stackFile("dev-aws"), JSON.stringify(json, null, 2));
  const changedCold = await reports(false);
  expect(changedCold.cost).not.toEqual(cold.cost);
  expect(changedCold.policy).not.toEqual(cold.policy);
  expect(await reports(true)).toEqual(changedCold);
  expect(await reports(true)).toEqual(changedCold);
});
