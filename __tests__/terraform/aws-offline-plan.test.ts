import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { App } from "cdktf";
import { REQUIRED_TAG_KEYS } from "@polycloud/core";
import { environments } from "../../environments";
import { buildStacks, synthAll } from "../../stacks/app";
import { referenceService } from "../../stacks/reference-service";
import { findAwsProviderMirror, findOnPath, mirrorProviderVersion, prepareOfflineCopy } from "../helpers/terraform";
import { comparePlans, redactPlan } from "../../scripts/plan/review";
import { renderMarkdown, summarizePlan } from "../../scripts/plan/summary";
import { guard } from "../../scripts/plan-guard";

/**
 * Real Terraform over every AWS stack: init from the local provider mirror, validate, and an
 * offline plan with fake credentials. Runs once per stack, here only. Skips loudly without tools.
 */
const run = promisify(execFile);
const terraformBin = findOnPath("terraform");
const mirror = findAwsProviderMirror();
const available = !!terraformBin && !!mirror;
if (!available) {
  console.warn(`SKIPPING terraform validate/plan: ${!terraformBin ? "no terraform CLI on PATH" : "no local hashicorp/aws provider mirror found (set TF_PLUGIN_DIR)"}.`);
}
const maybe = available ? describe : describe.skip;

maybe(`terraform validate + offline plan (aws provider ${mirror ? mirrorProviderVersion(mirror) : "n/a"} from ${mirror})`, () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "polycloud-tf-"));
  const outdir = path.join(work, "cdktf.out");
  const results = new Map<string, { validate: any; plan: any }>();
  let destroyPlan: any;
  const env = { ...process.env, TF_IN_AUTOMATION: "1", TF_INPUT: "0", CHECKPOINT_DISABLE: "1", AWS_EC2_METADATA_DISABLED: "true" };
  const stackNames = environments.filter((e) => e.clouds.aws).map((e) => `${e.name}-aws`);

  beforeAll(async () => {
    const app = new App({ outdir });
    buildStacks(app, { environments, service: referenceService, filter: "*-aws" });
    synthAll(app);
    // Stacks run concurrently; each reads the same provider mirror (no download, no copy).
    await Promise.all(stackNames.map(async (name) => {
      const dir = prepareOfflineCopy(path.join(outdir, "stacks", name), path.join(work, name));
      const tf = (args: string[]) => run(terraformBin!, args, { cwd: dir, env, maxBuffer: 256 * 1024 * 1024 });
      await tf(["init", "-backend=false", `-plugin-dir=${mirror}`, "-no-color"]);
      // `plan` validates too; the explicit `validate` (and its JSON diagnostics) runs for dev only,
      // saving two provider start-ups on a 2-core machine.
      const validate = name === stackNames[0] ? JSON.parse((await tf(["validate", "-json", "-no-color"])).stdout) : undefined;
      await tf(["plan", "-input=false", "-lock=false", "-no-color", "-out=plan.bin"]);
      // `show -json` (the full plan) for dev and prod; staging's plan proves it valid and plannable.
      const plan = name === "staging-aws" ? undefined : JSON.parse((await tf(["show", "-json", "plan.bin"])).stdout);
      results.set(name, { validate, plan });
      if (name === stackNames[0]) {
        // A real destroy: state that still holds a DLQ the configuration no longer declares (a
        // refactor that renamed it). `-refresh=false` keeps the plan offline.
        fs.writeFileSync(path.join(dir, "terraform.tfstate"), JSON.stringify({
          version: 4, terraform_version: "1.11.4", serial: 1, lineage: "00000000-0000-0000-0000-000000000001", outputs: {},
          resources: [{
            mode: "managed", type: "aws_sqs_queue", name: "orders_queue-orders_dlq_renamed", provider: 'provider["registry.terraform.io/hashicorp/aws"]',
            instances: [{ schema_version: 0, attributes: { id: "https://sqs.eu-west-1.amazonaws.com/111111111111/orders-dev-orders-dlq", name: "orders-dev-orders-dlq", arn: "arn:aws:sqs:eu-west-1:111111111111:orders-dev-orders-dlq", url: "https://sqs.eu-west-1.amazonaws.com/111111111111/orders-dev-orders-dlq", tags: {}, tags_all: {} } }],
          }],
        }));
        await tf(["plan", "-input=false", "-lock=false", "-no-color", "-refresh=false", "-out=destroy.bin"]);
        destroyPlan = JSON.parse((await tf(["show", "-json", "destroy.bin"])).stdout);
      }
    }));
  }, 300000);

  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  test(`${stackNames[0]} passes terraform validate (the other stacks are validated by their plans)`, () => {
    const v = results.get(stackNames[0])!.validate;
    expect(v.diagnostics.filter((d: any) => d.severity === "error")).toEqual([]);
    expect(v.valid).toBe(true);
  });

  test("every AWS stack plans offline", () => {
    expect([...results.keys()].sort()).toEqual([...stackNames].sort());
  });

  test.each(stackNames.filter((n) => n !== "staging-aws"))("%s plans offline: only creates, and every planned tags_all carries the required tags", (name) => {
    const plan = results.get(name)!.plan;
    const changes: any[] = plan.resource_changes;
    expect(changes.length).toBeGreaterThan(60);
    expect(changes.filter((c) => c.mode === "managed" && c.change.actions.join() !== "create")).toEqual([]);
    const tagged = changes.filter((c) => c.change.after && "tags_all" in c.change.after);
    expect(tagged.length).toBeGreaterThan(30);
    const envName = name.split("-")[0];
    for (const c of tagged) {
      const tags = c.change.after.tags_all ?? {};
      for (const key of REQUIRED_TAG_KEYS) {
        expect({ address: c.address, key, ok: /^[a-z0-9_-]{1,63}$/.test(tags[key] ?? "") }).toEqual({ address: c.address, key, ok: true });
      }
      expect(tags.environment).toBe(envName);
    }
  });

  // The plan summary tool over real `terraform show -json` output (the PR comment's input).
  test("plan summary of the real dev-aws plan: every create counted, nothing flagged; its redacted form is what deploy compares", () => {
    const plan = results.get("dev-aws")!.plan;
    const managed = plan.resource_changes.filter((c: any) => c.mode === "managed");
    const summary = summarizePlan("dev-aws", plan);
    expect(summary).toMatchObject({ stack: "dev-aws", adds: managed.length, changes: 0, destroys: 0, replaces: 0, dangerous: [], errored: false });
    expect(summary.terraformVersion).toMatch(/^1\./);
    const md = renderMarkdown([summary]);
    expect(md).toContain(`| dev-aws | ${managed.length} | 0 | 0 | 0 | 0 | 0 |`);
    expect(md).not.toContain("[!CAUTION]");
    expect(md).toMatch(/<details><summary>dev-aws: \d+ to add<\/summary>/);
    expect(md).toMatch(/^\+ {6}aws_[a-z0-9_]+\.[A-Za-z0-9_-]+$/m);
    const reviewed = redactPlan(plan);
    expect(summarizePlan("dev-aws", reviewed)).toEqual(summary);
    expect(comparePlans(reviewed, plan)).toEqual([]);
  });

  test("plan guard: real plans that only create pass; a real plan destroying a DLQ is refused unless allow-listed", () => {
    expect(guard(stackNames.filter((n) => results.get(n)!.plan).map((n) => ({ stack: n, plan: results.get(n)!.plan })), []).blocked).toEqual([]);
    const blocked = guard([{ stack: "dev-aws", plan: destroyPlan }], []);
    expect(blocked.blocked).toEqual([expect.objectContaining({ address: "aws_sqs_queue.orders_queue-orders_dlq_renamed", action: "delete", kind: "dead-letter queue" })]);
    const allowed = guard([{ stack: "dev-aws", plan: destroyPlan }], [{ stack: "dev-aws", address: "aws_sqs_queue.orders_queue-orders_dlq_renamed", reason: "replaced by the renamed queue; drained and verified empty" }]);
    expect(allowed.blocked).toEqual([]);
    expect(allowed.allowed).toHaveLength(1);
  });

  test("prod plan keeps data: protected database and final snapshot", () => {
    const cluster = results.get("prod-aws")!.plan.resource_changes.find((c: any) => c.type === "aws_rds_cluster").change.after;
    expect(cluster.deletion_protection).toBe(true);
    expect(cluster.skip_final_snapshot).toBe(false);
    expect(cluster.manage_master_user_password).toBe(true);
    expect(cluster.master_password ?? null).toBeNull();
  });
});
