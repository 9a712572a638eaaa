import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App } from "cdktf";
import { EnvironmentConfig, ServiceSpec } from "@polycloud/core";
import { buildStacks, synthAll } from "@polycloud/stacks";
import { PlatformStack } from "@polycloud/stacks";
import { referenceService } from "../../stacks/reference-service";
import { envByName, validationMessages } from "../helpers/synth";

/**
 * Each bad input is rejected at synth time with module, property, value and allowed range.
 * Cases that are part of the published catalogue live in catalogue.ts; these are the rest.
 */
const dev = envByName("dev");
const base = referenceService(dev);
type Mut<T> = { -readonly [K in keyof T]: Mut<T[K]> };
const clone = <T>(x: T): Mut<T> => JSON.parse(JSON.stringify(x));
const svc = (mutate: (s: Mut<ServiceSpec>) => void) => { const s = clone(base); mutate(s); return s as ServiceSpec; };
const env = (mutate: (e: Mut<EnvironmentConfig>) => void) => { const e = clone(dev); mutate(e); return e as EnvironmentConfig; };

function expectMessage(messages: string[], pattern: RegExp): void {
  expect(messages).toEqual(expect.arrayContaining([expect.stringMatching(pattern)]));
}

describe("bad input is rejected with a precise message", () => {
  test("budget caps apply only to the clouds an environment enables (GCP has no threshold cap)", () => {
    const gcpOnly = env((e) => { delete e.clouds.aws; delete e.clouds.azure; e.budget.actualThresholdsPercent = [50, 80, 100]; e.budget.forecastThresholdsPercent = [90, 100, 120]; });
    expect(validationMessages(gcpOnly, undefined, "gcp").filter((m) => m.includes("budget."))).toEqual([]);
  });

  test.each(["dev", "staging", "prod"])("the reference service is valid in %s", (name) => {
    expect(validationMessages(envByName(name))).toEqual([]);
  });

  const cases: [string, () => string[], RegExp][] = [
    ["memory below the Lambda limit", () => validationMessages(dev, svc((s) => { s.functions.api.memoryMb = 64; })),
      /property 'functions\.api\.memoryMb' has value 64; allowed: 128\.\.10240 MB/],
    ["max delivery attempts below 1", () => validationMessages(dev, svc((s) => { s.queues!.orders.maxDeliveryAttempts = 0; })),
      /Queue: property 'queues\.orders\.maxDeliveryAttempts' has value 0; allowed: at least 1/],
    ["event rule with an unknown function target", () => validationMessages(dev, svc((s) => { s.buses!.events.rules["order-created"].target = { function: "nope" }; })),
      /EventBus: property 'buses\.events\.rules\.order-created\.target\.function' has value "nope"; allowed: the id of a declared function/],
    ["pool max connections 0", () => validationMessages(dev, svc((s) => { s.databases!.main.pool = { maxConnectionsPercent: 0 }; })),
      /DatabaseProxy: property 'databases\.main\.pool\.maxConnectionsPercent' has value 0; allowed: 1\.\.100 %/],
    ["budget amount 0", () => validationMessages(env((e) => { e.budget.monthlyAmount = 0; })),
      /environments\/dev: property 'budget\.monthlyAmount' has value 0; allowed: a number > 0/],
    ["budget amount negative", () => validationMessages(env((e) => { e.budget.monthlyAmount = -5; })),
      /property 'budget\.monthlyAmount' has value -5; allowed: a number > 0/],
    ["non-positive budget threshold", () => validationMessages(env((e) => { e.budget.forecastThresholdsPercent = [0, -10]; })),
      /property 'budget\.forecastThresholdsPercent\[1\]' has value -10; allowed: a positive percentage/],
    ["missing alarm recipients", () => validationMessages(env((e) => { e.alarms.recipients = []; })),
      /environments\/dev: property 'alarms\.recipients' has value \[\]; allowed: at least one e-mail address/],
    ["missing budget recipients", () => validationMessages(env((e) => { e.budget.recipients = []; })),
      /property 'budget\.recipients' has value \[\]; allowed: at least one e-mail address/],
    // Budget API caps (core BUDGET_LIMITS), checked for every cloud the environment enables.
    ["a sixth budget threshold (AWS and Azure allow 5 notifications)", () => validationMessages(env((e) => { e.budget.actualThresholdsPercent = [50, 80, 100]; e.budget.forecastThresholdsPercent = [90, 100, 120]; })),
      /environments\/dev: property 'budget\.actualThresholdsPercent \+ budget\.forecastThresholdsPercent' has value "6 thresholds"; allowed: at most 5 thresholds in all \(aws: AWS Budgets allow 5 notifications per budget\)/],
    ["eleven budget recipients (AWS: 10 e-mail subscribers per notification)", () => validationMessages(env((e) => { e.budget.recipients = Array.from({ length: 11 }, (_, i) => `r${i}@example.com`); })),
      /environments\/dev: property 'budget\.recipients' has value "11 addresses"; allowed: at most 10 addresses \(aws: AWS Budgets allow 10 e-mail subscribers per notification\)/],
    ["six budget recipients on GCP (5 notification channels per budget)", () => validationMessages(env((e) => { e.budget.recipients = Array.from({ length: 6 }, (_, i) => `r${i}@example.com`); }), undefined, "gcp"),
      /environments\/dev: property 'budget\.recipients' has value "6 addresses"; allowed: at most 5 addresses \(gcp: Cloud Billing budgets allow 5 monitoring notification channels/],
    ["a sixth budget threshold on Azure too", () => validationMessages(env((e) => { e.budget.actualThresholdsPercent = [50, 80, 100]; e.budget.forecastThresholdsPercent = [90, 100, 120]; }), undefined, "azure"),
      /environments\/dev: property 'budget\.actualThresholdsPercent \+ budget\.forecastThresholdsPercent' has value "6 thresholds"; allowed: at most 5 thresholds in all \(azure: Azure consumption budgets allow 5 notifications per budget\)/],
    ["a borrow timeout as long as the shortest caller's timeout", () => validationMessages(dev, svc((s) => { s.databases!.main.pool = { borrowTimeoutSeconds: 10 }; })),
      /DatabaseProxy: property 'databases\.main\.pool\.borrowTimeoutSeconds' has value 10; allowed: 0-9 seconds: below the shortest timeout among allowedFunctions \(api: 10 s\)/],
    ["empty owner tag", () => validationMessages(env((e) => { e.tags.owner = ""; })),
      /property 'tags\.owner' has value ""; allowed: a non-empty value/],
    ["cost_center that normalises to nothing", () => validationMessages(env((e) => { e.tags.cost_center = "!!!"; })),
      /property 'tags\.cost_center' has value "!!!"; allowed: a non-empty value that keeps at least one \[a-z0-9_-\] character/],
    ["invalid tag key", () => validationMessages(env((e) => { (e.tags as Record<string, string>)["Bad Key"] = "x"; })),
      /property 'tags\.Bad Key' has value "Bad Key"; allowed: a tag key matching/],
    ["missing AWS account", () => validationMessages(env((e) => { delete (e.clouds.aws as { accountId?: string }).accountId; })),
      /property 'clouds\.aws\.accountId' has value <missing>; allowed: a 12-digit AWS account id/],
    ["missing AWS region", () => validationMessages(env((e) => { (e.clouds.aws as { region: string }).region = ""; })),
      /property 'clouds\.aws\.region' has value ""; allowed: an AWS region/],
    ["literal secret in environment", () => validationMessages(dev, svc((s) => { s.functions.api.environment = { DB_PASSWORD: "hunter2" }; })),
      /property 'functions\.api\.environment\.DB_PASSWORD' has value "<redacted literal>"; allowed: no literal secret values/],
    // Issue 15: regions against each cloud's list, duplicate routes by parameter name, unknown service keys.
    ["a well-formed but unknown AWS region", () => validationMessages(env((e) => { e.clouds.aws!.region = "eu-wset-1"; })),
      /environments\/dev: property 'clouds\.aws\.region' has value "eu-wset-1"; allowed: a aws region \(did you mean eu-west-1\?\); known regions from https:\/\/docs\.aws\.amazon\.com\/.* as of \d{4}-\d\d-\d\d/],
    ["a well-formed but unknown GCP region", () => validationMessages(env((e) => { e.clouds.gcp!.region = "europe-wset1"; }), undefined, "gcp"),
      /property 'clouds\.gcp\.region' has value "europe-wset1"; allowed: a gcp region \(did you mean europe-west1\?\)/],
    ["a well-formed but unknown Azure location", () => validationMessages(env((e) => { e.clouds.azure!.location = "westeurpoe"; }), undefined, "azure"),
      /property 'clouds\.azure\.location' has value "westeurpoe"; allowed: a azure region \(did you mean westeurope\?\)/],
    ["routes that differ only in a parameter name", () => validationMessages(dev, svc((s) => { s.gateways!.public.routes.push({ method: "GET", path: "/orders/{order_id}", function: "api" }); })),
      /HttpGateway: property 'gateways\.public\.routes\[3\]' has value "GET \/orders\/\{order_id\}"; allowed: each method \+ path at most once, parameter names aside \(duplicate route of GET \/orders\/\{id\}\)/],
    ["an unknown (misspelt) key in a function", () => validationMessages(dev, svc((s) => { (s.functions.api as any).timeoutSecond = 5; })),
      /AwsService\(orders\): property 'functions\.api\.timeoutSecond' has value 5; allowed: no such key \(known keys: source, runtime, handler, memoryMb, timeoutSeconds/],
    ["an unknown top-level key in a service", () => validationMessages(dev, svc((s) => { (s as any).queue = {}; })),
      /AwsService\(orders\): property 'queue' has value \{\}; allowed: no such key \(known keys: name, clouds, functions, gateways, queues/],
    ["an unknown key in a route", () => validationMessages(dev, svc((s) => { (s.gateways!.public.routes[0] as any).auth = false; })),
      /AwsService\(orders\): property 'gateways\.public\.routes\[0\]\.auth' has value false; allowed: no such key \(known keys: method, path, function, authorized\)/],
    ["an invalid platform name", () => validationMessages(env((e) => { e.platform = "Shared Platform"; })),
      /environments\/dev: property 'platform' has value "Shared Platform"; allowed: 2-20 lowercase letters/],
  ];
  test("distinct parameterised routes stay valid", () => {
    expect(validationMessages(dev, svc((s) => { s.gateways!.public.routes.push({ method: "GET", path: "/orders/{id}/items/{item}", function: "api" }, { method: "DELETE", path: "/orders/{id}", function: "api" }); }))).toEqual([]);
  });
  test.each(cases)("%s", (_name, run, pattern) => {
    expectMessage(run(), pattern);
  });

  test("the literal secret value never appears in the message", () => {
    const messages = validationMessages(dev, svc((s) => { s.functions.api.environment = { API_TOKEN: "s3cr3t-value" }; }));
    expect(messages.join("\n")).not.toContain("s3cr3t-value");
  });

  test("every problem is reported in one run", () => {
    const e = env((x) => { x.budget.monthlyAmount = 0; x.alarms.recipients = []; });
    const messages = validationMessages(e, svc((s) => {
      s.functions.api.memoryMb = 99999;
      s.queues!.orders.maxDeliveryAttempts = 0;
      s.gateways!.public.throttle = { rateLimit: 10, burstLimit: 1 };
      s.databases!.main.pool = { maxConnectionsPercent: 0 };
    }));
    for (const p of ["budget.monthlyAmount", "alarms.recipients", "functions.api.memoryMb", "queues.orders.maxDeliveryAttempts", "throttle.burstLimit", "pool.maxConnectionsPercent"]) {
      expectMessage(messages, new RegExp(`property '[^']*${p.replace(/\./g, "\\.")}'`));
    }
  });

  test("synthAll lists the problems of every failing stack at once and writes nothing", () => {
    const outdir = path.join(os.tmpdir(), `polycloud-bad-${process.pid}`);
    const app = new App({ outdir });
    const badDev = env((e) => { e.budget.monthlyAmount = 0; });
    const badProd = clone(envByName("prod")) as unknown as EnvironmentConfig;
    new PlatformStack(app, "dev-aws", { env: badDev, cloud: "aws", service: referenceService(badDev) });
    new PlatformStack(app, "prod-aws", { env: badProd, cloud: "aws", service: svc((s) => { s.functions.worker.timeoutSeconds = 5000; }) });
    expect(() => synthAll(app)).toThrow(/budget\.monthlyAmount[^\n]*\n\s+stacks: dev-aws\n[\s\S]*functions\.worker\.timeoutSeconds[^\n]*\n\s+stacks: prod-aws/);
    expect(fs.existsSync(path.join(outdir, "manifest.json"))).toBe(false);
  });

  test("a GCP section with a misspelt key fails with every missing value, not a skipped stack", () => {
    const e = env((x) => { (x.clouds as Record<string, unknown>).gcp = { project: "p" }; });
    const app = new App({ outdir: path.join(os.tmpdir(), `polycloud-gcp-${process.pid}`) });
    buildStacks(app, { environments: [e], service: referenceService, filter: "dev-gcp" });
    expect(() => synthAll(app)).toThrow(/clouds\.gcp\.projectId' has value <missing>[^\n]*\n\s+stacks: dev-gcp[\s\S]*clouds\.gcp\.region' has value <missing>[\s\S]*clouds\.gcp\.billingAccount' has value <missing>/);
  });
});
