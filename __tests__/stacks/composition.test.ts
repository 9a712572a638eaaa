import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App, Testing } from "cdktf";
import { environments } from "../fixtures/sample/environments";
import { checkRemoteState } from "../../modules/cli/src/state/remote-state";
import { polycloud } from "../helpers/cli";
import { SynthValidationError, buildStacks, formatWarnings, synthAll, withLocalState } from "@polycloud/stacks";
import { STAMP_FILE, sourcesHash, staleSynthReason, writeStamp } from "@polycloud/core";
import { EnvironmentConfig } from "@polycloud/core";
import { referenceService } from "../../stacks/reference-service";

describe("composition", () => {
  test("one stack per environment × enabled cloud", () => {
    const stacks = buildStacks(Testing.app(), { environments, service: referenceService });
    const expected = environments.flatMap((e) => Object.keys(e.clouds).map((c) => `${e.name}-${c}`)).sort();
    expect(stacks.map((s) => s.node.id).sort()).toEqual(expected);
    expect(expected).toEqual(expect.arrayContaining(["dev-aws", "staging-aws", "prod-aws", "dev-gcp", "staging-gcp", "prod-gcp", "dev-azure", "staging-azure", "prod-azure"]));
  });

  test("PLATFORM_STACKS-style filter selects stacks, and an unmatched filter is an error", () => {
    expect(buildStacks(Testing.app(), { environments, service: referenceService, filter: "prod-*" }).map((s) => s.node.id)).toEqual(Object.keys(environments[2].clouds).map((c) => `prod-${c}`));
    expect(buildStacks(Testing.app(), { environments, service: referenceService, filter: "*-gcp" }).map((s) => s.node.id)).toEqual(["dev-gcp", "staging-gcp", "prod-gcp"]);
    expect(buildStacks(Testing.app(), { environments, service: referenceService, filter: "dev-aws, staging-aws" }).map((s) => s.node.id)).toEqual(["dev-aws", "staging-aws"]);
    expect(() => buildStacks(Testing.app(), { environments, service: referenceService, filter: "qa-*" })).toThrow(/matching at least one of dev-aws, dev-gcp/);
  });

  test("synthAll writes one directory per stack, each with its own backend", async () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "polycloud-synth-"));
    try {
      const app = new App({ outdir });
      // The stacks whose backends differ; the others are covered by the in-process synthesis tests.
      buildStacks(app, { environments, service: referenceService, filter: "dev-aws,staging-aws,prod-aws,dev-gcp,prod-gcp,dev-azure,prod-azure" });
      const warnings = synthAll(app);
      // Warnings come back grouped: each id once per environment, with every stack and service it concerns.
      expect(new Set(warnings.groups.map((w) => `${w.environment} ${w.id}`)).size).toBe(warnings.groups.length);
      expect(warnings.groups).toEqual(expect.arrayContaining([expect.objectContaining({ environment: "dev", id: "azure:gateway.throttle", stacks: ["dev-azure"], services: new Map([["orders", ["gateway:public"]]]) })]));
      expect(formatWarnings(warnings)).toMatch(/^Synth: \d+ warnings, \d+ accepted, \d+ new\.$/m);
      // The output is stamped with the sources it came from; policy and plan scripts check it.
      expect(staleSynthReason(outdir)).toBeUndefined();
      const read = (s: string) => JSON.parse(fs.readFileSync(path.join(outdir, "stacks", s, "cdk.tf.json"), "utf8"));
      expect(read("dev-aws").terraform.backend.s3).toMatchObject({ bucket: "polycloud-tfstate-dev", key: "dev/aws/shared/terraform.tfstate", encrypt: true, use_lockfile: true });
      expect(read("staging-aws").terraform.backend.s3).toMatchObject({ bucket: "polycloud-tfstate-staging", encrypt: true, use_lockfile: true });
      expect(read("prod-aws").terraform.backend.s3.key).toBe("prod/aws/shared/terraform.tfstate");
      expect(read("dev-gcp").terraform.backend.gcs).toMatchObject({ bucket: "polycloud-tfstate-dev-gcp", prefix: "dev/gcp/shared" });
      expect(read("prod-gcp").terraform.backend.gcs).toMatchObject({ bucket: "polycloud-tfstate-prod-gcp", prefix: "prod/gcp/shared" });
      expect(read("dev-azure").terraform.backend.azurerm).toMatchObject({ storage_account_name: "polycloudtfstatedev", key: "dev/azure/shared.tfstate", use_azuread_auth: true });
      expect(read("prod-azure").terraform.backend.azurerm).toMatchObject({ storage_account_name: "polycloudtfstateprd", key: "prod/azure/shared.tfstate", use_azuread_auth: true });
      // Every sample stack keeps its state remotely, so the pipelines accept all of them.
      expect(await polycloud(["state", "check", "--all", "--output", outdir])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^remote state: dev-aws, dev-azure, dev-gcp, prod-aws/) });
      // Function code is packaged into the stack directory, so each stack plans on its own.
      for (const stack of ["dev-aws", "dev-azure"]) {
        const assets = path.join(outdir, "stacks", stack, "assets");
        expect(fs.readdirSync(assets).length).toBeGreaterThanOrEqual(2);
      }
      // Azure uploads the package from there (a path relative to the stack directory).
      for (const blob of Object.values(read("dev-azure").resource.azurerm_storage_blob) as any[]) {
        expect(fs.existsSync(path.join(outdir, "stacks", "dev-azure", blob.source))).toBe(true);
      }
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });

  test("PLATFORM_LOCAL_STATE (withLocalState): the local default for a laptop, which the pipelines refuse by name", () => {
    const local = withLocalState(environments.filter((e) => e.name === "dev"));
    expect(environments.find((e) => e.name === "dev")!.clouds.aws!.backend).toBeDefined();
    for (const stack of buildStacks(Testing.app(), { environments: local, service: referenceService })) {
      const json = JSON.parse(Testing.synth(stack));
      expect(json.terraform.backend).toEqual({ local: { path: `terraform.${stack.node.id}.tfstate` } });
      const problem = checkRemoteState(stack.node.id, json)!;
      expect(problem.message).toContain(`${stack.node.id}: the state would live on the runner (a local backend)`);
      expect(problem.message).toContain(`Fix: set clouds.${stack.node.id.split("-")[1]}.backend in environments/dev.ts`);
    }
    expect(checkRemoteState("staging-gcp", { terraform: {} })!.message).toMatch(/^staging-gcp: .*no backend \(Terraform's local default\).*clouds\.gcp\.backend in environments\/staging\.ts/);
    expect(checkRemoteState("prod-aws", { terraform: { backend: { s3: { bucket: "b" } } } })).toBeUndefined();
  });

  test("polycloud state check: exit 1 with a workflow error per local stack, 2 on bad input", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "state-check-"));
    try {
      const write = (stack: string, json: unknown) => {
        fs.mkdirSync(path.join(dir, "stacks", stack), { recursive: true });
        fs.writeFileSync(path.join(dir, "stacks", stack, "cdk.tf.json"), JSON.stringify(json));
      };
      write("dev-aws", { terraform: { backend: { local: { path: "terraform.dev-aws.tfstate" } } } });
      write("prod-aws", { terraform: { backend: { s3: { bucket: "b" } } } });
      fs.writeFileSync(path.join(dir, "manifest.json"), JSON.stringify({ stacks: { "dev-aws": {}, "prod-aws": {} } }));
      const stateCheck = (argv: string[]) => polycloud(["state", "check", ...argv, "--output", dir]);
      const all = await stateCheck(["--all"]);
      expect(all.code).toBe(1);
      expect(all.stdout.trim().split("\n")).toEqual([expect.stringMatching(/^::error title=Local Terraform state::dev-aws: .*environments\/dev\.ts/)]);
      expect((await stateCheck(["prod-aws"])).code).toBe(0);
      expect((await stateCheck(["qa-aws"])).code).toBe(2);
      expect((await stateCheck(["$(evil)"])).code).toBe(2);
      expect((await stateCheck([])).code).toBe(2);
      expect(JSON.parse((await stateCheck(["--all", "--json"])).stdout)).toMatchObject({ ok: false, stacks: ["dev-aws", "prod-aws"], problems: [{ stack: "dev-aws" }] });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a mistake shared by every stack is reported once with the stacks it affects, no trace or skipValidation hint; the old output loses its stamp", () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "polycloud-fail-"));
    try {
      writeStamp(outdir);
      expect(staleSynthReason(outdir)).toBeUndefined();
      const dev = environments.find((e) => e.name === "dev")!;
      const broken = { ...dev, sizng: {}, clouds: { ...dev.clouds, aws: { ...dev.clouds.aws!, region: "eu-wset-1" } } } as EnvironmentConfig;
      const app = new App({ outdir });
      buildStacks(app, { environments: [broken], service: referenceService });
      let error: unknown;
      try { synthAll(app); } catch (e) { error = e; }
      expect(error).toBeInstanceOf(SynthValidationError);
      const message = (error as Error).message;
      const lines = message.split("\n");
      expect(lines.filter((l) => l.includes("property 'sizng'"))).toHaveLength(1);
      expect(message).toContain("- environments/dev: property 'sizng' has value {}; allowed: no such key");
      expect(message).toMatch(/property 'sizng'[^\n]*\n\s+stacks: dev-aws, dev-gcp, dev-azure\n/);
      expect(lines.filter((l) => l.includes("'clouds.aws.region'"))).toHaveLength(1);
      expect(message).not.toMatch(/skipValidation|^\s+at /m);
      expect(fs.existsSync(path.join(outdir, STAMP_FILE))).toBe(false);
      expect(staleSynthReason(outdir)).toMatch(/no polycloud-sources\.json: the last synth failed/);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });

  test("the sources stamp changes with any input file", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "polycloud-src-"));
    try {
      fs.mkdirSync(path.join(root, "environments"));
      fs.writeFileSync(path.join(root, "main.ts"), "// app");
      fs.writeFileSync(path.join(root, "environments", "dev.ts"), "export const a = 1;");
      const out = path.join(root, "cdktf.out");
      writeStamp(out, root);
      expect(staleSynthReason(out, root)).toBeUndefined();
      const before = sourcesHash(root);
      fs.writeFileSync(path.join(root, "environments", "dev.ts"), "export const a = 2;");
      expect(sourcesHash(root)).not.toBe(before);
      expect(staleSynthReason(out, root)).toMatch(/was synthesized from other sources/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test("environments really differ", () => {
    const [dev, staging, prod] = ["dev", "staging", "prod"].map((n) => environments.find((e) => e.name === n)!);
    expect(dev.sizing.warmInstances).toBe(0);
    expect(prod.sizing.warmInstances).toBeGreaterThan(0);
    expect(new Set([dev, staging, prod].map((e) => e.sizing.databaseSize)).size).toBe(3);
    expect(dev.retention.logDays).toBeLessThan(staging.retention.logDays);
    expect(staging.retention.logDays).toBeLessThan(prod.retention.logDays);
    expect(dev.retention.backupDays).toBeLessThan(prod.retention.backupDays);
    expect(dev.retention.archiveDays).toBeLessThan(prod.retention.archiveDays);
    expect(dev.budget.monthlyAmount).toBeLessThan(staging.budget.monthlyAmount);
    expect(staging.budget.monthlyAmount).toBeLessThan(prod.budget.monthlyAmount);
    expect(dev.alarms.thresholds).not.toEqual(prod.alarms.thresholds);
    expect([dev, staging, prod].map((e) => e.deletionProtection)).toEqual([false, false, true]);
  });
});
