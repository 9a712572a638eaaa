import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App } from "cdktf";
import { EnvironmentConfig } from "@polycloud/core";
import { dev, environments } from "../fixtures/sample/environments";
import { BuildOptions, SynthValidationError, buildStacks, formatWarnings, synthAll } from "@polycloud/stacks";
import { referenceService } from "../../stacks/reference-service";
import { synthesize } from "../../modules/stacks/src/synthesize";
import { fourServices } from "../fixtures/ported/four-services";

/**
 * modules/stacks/src/synthesize.ts reports what synthAll reports: the same warning report (per environment
 * and id, with services and accepted ones) and, for a broken composition, the same validation
 * error (every problem once, naming its service, a cloud's problem against that cloud's stacks).
 */
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "synthesize-reports-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const outdir = () => path.join(tmp, String(n++));

function viaSynthAll(options: BuildOptions): ReturnType<typeof synthAll> | Error {
  const app = new App({ outdir: outdir() });
  buildStacks(app, options);
  try {
    return synthAll(app);
  } catch (e) {
    return e as Error;
  }
}

test("the four ported services in dev: the same warnings, services and accepted ids as synthAll", async () => {
  const options = fourServices([dev]);
  const expected = viaSynthAll(options);
  const dir = outdir();
  const report = await synthesize(options, { app: { outdir: dir } });
  expect(report.warnings).toEqual(expected);
  // Reused stacks report the same warnings from the record.
  const again = await synthesize(options, { app: { outdir: dir } });
  expect(again.built).toEqual([]);
  expect(again.warnings).toEqual(expected);
});

test("partitioned per service (a stack per service, warnings from service and shared stacks): the same report as synthAll, fresh and reused", async () => {
  const options = fourServices([{ ...dev, partitioning: "service" }]);
  const expected = viaSynthAll(options);
  expect(expected).not.toBeInstanceOf(Error);
  const report = expected as ReturnType<typeof synthAll>;
  // Warnings attributed to services, and to the environment's own resources where no service raised them.
  expect(report.groups.some((g) => [...g.services.keys()].some((s) => s !== "(environment)"))).toBe(true);
  const dir = outdir();
  expect((await synthesize(options, { app: { outdir: dir } })).warnings).toEqual(expected);
  expect((await synthesize(options, { app: { outdir: dir } })).warnings).toEqual(expected);
  expect(formatWarnings((await synthesize(options, { app: { outdir: dir } })).warnings)).toBe(formatWarnings(report));
});

test("a filtered synth (PLATFORM_STACKS): the same report as synthAll over the same stacks", async () => {
  const options = { ...fourServices([{ ...dev, partitioning: "service" }]), filter: "dev-gcp-*,dev-azure-orders" };
  const expected = viaSynthAll(options);
  expect(expected).not.toBeInstanceOf(Error);
  const report = await synthesize(options, { app: { outdir: outdir() } });
  expect(report.built.sort()).toEqual(["dev-azure-orders", "dev-azure-shared", ...fourServices([dev]).services!(dev).map((s) => `dev-gcp-${s.name}`), "dev-gcp-shared"].sort());
  expect(report.warnings).toEqual(expected);
  expect(formatWarnings(report.warnings, { showUnusedAccepts: false })).toBe(formatWarnings(expected as ReturnType<typeof synthAll>, { showUnusedAccepts: false }));
});

test("a broken composition: the same validation error as synthAll, and nothing written", async () => {
  const badDev = { ...dev, clouds: { ...dev.clouds, gcp: { ...dev.clouds.gcp!, region: "mars-central1" } } } as EnvironmentConfig;
  const options: BuildOptions = {
    environments: [badDev, ...environments.filter((e) => e.name !== "dev")],
    services: (env) => {
      const svc = referenceService(env);
      return [{ ...svc, functions: { ...svc.functions, api: { ...svc.functions!.api, timeoutSeconds: -1 } } }, { ...svc, name: "twin", queues: { orders: { ...svc.queues!.orders, maxDeliveryAttempts: 0 } } }];
    },
  };
  const expected = viaSynthAll(options);
  expect(expected).toBeInstanceOf(SynthValidationError);
  expect((expected as Error).message).toMatch(/service orders: /);
  expect((expected as Error).message).toMatch(/service twin: /);
  const dir = outdir();
  let error: unknown;
  try {
    await synthesize(options, { app: { outdir: dir } });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(SynthValidationError);
  expect((error as Error).message).toBe((expected as Error).message);
  expect(fs.readdirSync(path.join(dir, "stacks"))).toEqual([]);
});
