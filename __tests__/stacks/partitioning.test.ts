import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App } from "cdktf";
import { EnvironmentConfig } from "@polycloud/core";
import { environments } from "../fixtures/sample/environments";
import { buildStacks, synthAll } from "@polycloud/stacks";
import { referenceService } from "../../stacks/reference-service";
import { scaleServices } from "../../stacks/scale-services";
import { gcpOrderingProblems } from "../helpers/gcp-ordering";

/**
 * Per-service stacks next to a shared foundation stack: 50 services (plus the reference service)
 * on AWS; GCP and Azure, whose construct trees are the same shape, run 10 to keep the suite fast
 * (the benchmark covers 200 services on every cloud).
 */
const base = environments.find((e) => e.name === "dev")!;
const dev = { ...base, partitioning: "service" } as EnvironmentConfig;
const SCALE: Record<string, number> = { aws: 50, gcp: 10, azure: 10 };
const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "polycloud-partition-"));
afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

const app = new App({ outdir });
const stacks = (["aws", "gcp", "azure"] as const).flatMap((cloud) => {
  const env = { ...dev, clouds: { [cloud]: base.clouds[cloud] } } as EnvironmentConfig;
  return buildStacks(app, { environments: [env], services: (e) => [referenceService(e), ...scaleServices(e, SCALE[cloud])] });
});
synthAll(app);
const manifest = JSON.parse(fs.readFileSync(path.join(outdir, "manifest.json"), "utf8"));
const read = (name: string) => JSON.parse(fs.readFileSync(path.join(outdir, "stacks", name, "cdk.tf.json"), "utf8"));
/** Where a backend block keeps the state: type, bucket or storage account, and key or prefix. */
const stateOf = (backend: Record<string, any>) => {
  const [type, c] = Object.entries(backend)[0];
  return { type, bucket: c.bucket ?? c.storage_account_name ?? c.path, where: c.key ?? c.prefix ?? c.path };
};
const serviceStacks = stacks.filter((s) => !s.node.id.endsWith("-shared")).map((s) => s.node.id);

test("one shared stack and a stack per service on each cloud, every one synthesized with its own state", () => {
  expect(stacks).toHaveLength(52 + 12 + 12);
  for (const cloud of ["aws", "gcp", "azure"]) {
    const last = String(SCALE[cloud]).padStart(3, "0");
    expect(stacks.map((s) => s.node.id)).toEqual(expect.arrayContaining([`dev-${cloud}-shared`, `dev-${cloud}-orders`, `dev-${cloud}-svc-001`, `dev-${cloud}-svc-${last}`]));
  }
  // The sample dev environment keeps its state remotely: one state object per stack.
  const places = stacks.map((s) => stateOf(read(s.node.id).terraform.backend));
  for (const [i, s] of stacks.entries()) expect(places[i].type).toBe({ aws: "s3", gcp: "gcs", azure: "azurerm" }[s.node.id.split("-")[1]]);
  expect(new Set(places.map((p) => `${p.type}:${p.bucket}:${p.where}`)).size).toBe(stacks.length);
});

test("each service stack reads only its own cloud's foundation, and is deployed after it", () => {
  for (const name of serviceStacks) {
    const cloud = name.split("-")[1];
    const remote = Object.values(read(name).data?.terraform_remote_state ?? {}) as any[];
    expect(remote.map((r) => stateOf({ [r.backend]: r.config }))).toEqual([stateOf(read(`dev-${cloud}-shared`).terraform.backend)]);
    expect(manifest.stacks[name].dependencies).toEqual([`dev-${cloud}-shared`]);
  }
  for (const cloud of ["aws", "gcp", "azure"]) {
    expect(manifest.stacks[`dev-${cloud}-shared`].dependencies).toEqual([]);
    expect(read(`dev-${cloud}-shared`).data?.terraform_remote_state).toBeUndefined();
  }
});

test("no service stack contains another service's resources", () => {
  const names = ["orders", ...scaleServices(dev, SCALE.aws).map((s) => s.name)];
  for (const stack of serviceStacks) {
    const own = stack.split("-").slice(2).join("-");
    const text = JSON.stringify(read(stack).resource);
    for (const other of names) {
      if (other !== own) expect({ stack, foreign: text.includes(`"${other}-dev-`) || text.includes(`_${other}_`) }).toEqual({ stack, foreign: false });
    }
    expect(text).toContain(`${own}-dev-`);
  }
});

test("the foundation lives in the shared stack: tags say so, the budget and alarm channel are there once", () => {
  const aws = read("dev-aws-shared");
  expect(aws.provider.aws[0].default_tags[0].tags.service).toBe("shared");
  expect(Object.keys(aws.resource)).toEqual(expect.arrayContaining(["aws_kms_key", "aws_sns_topic", "aws_budgets_budget"]));
  expect(read("dev-aws-orders").provider.aws[0].default_tags[0].tags.service).toBe("orders");
  for (const name of serviceStacks) expect(Object.keys(read(name).resource)).not.toContain("aws_budgets_budget");
});

test("every partitioned GCP stack is well ordered (generic check; key grants live in the shared stack)", () => {
  const gcp = stacks.map((s) => s.node.id).filter((n) => n.startsWith("dev-gcp-"));
  expect(gcp.length).toBe(12);
  for (const name of gcp) expect({ name, problems: gcpOrderingProblems(read(name)) }).toEqual({ name, problems: [] });
});
