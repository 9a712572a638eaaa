import { App, Testing } from "cdktf";
import { CONSTRUCT_WARNINGS, EnvironmentConfig, WarningReport, classifyWarning, deviationWarningIds, groupWarnings, knownWarningIds, validateEnvironment } from "@polycloud/core";
import { SynthValidationError, buildStacks, formatWarnings, synthAll } from "@polycloud/stacks";
import { composition } from "../fixtures/sample/composition";
import { referenceService } from "../../stacks/reference-service";
import { dev, environments } from "../fixtures/sample/environments";
import { fourServices } from "../fixtures/ported/four-services";

/**
 * Issue 26.3: warnings that are read. Each warning prints once per environment with the services
 * it affects; an environment acknowledges known ones by id (`accept`), which counts them instead
 * of printing them; the synth ends with a one-line summary.
 */
const printed = (out: string) => out.split("\n").filter((l) => /^ {2}! \[/.test(l));
const synth = (options: Parameters<typeof buildStacks>[1]): { report: WarningReport; out: string } => {
  const app = Testing.app() as App;
  buildStacks(app, options);
  const report = synthAll(app);
  return { report, out: formatWarnings(report) };
};

describe("the sample composition and the four-service fixture", () => {
  const sample = synth(composition);
  const four = synth(fourServices());

  test("a synth of the sample prints at most 10 warnings and ends with the one-line summary", () => {
    expect(printed(sample.out).length).toBeLessThanOrEqual(10);
    const last = sample.out.split("\n").pop();
    const fresh = sample.report.groups.filter((g) => !g.accepted).length;
    expect(last).toBe(`Synth: ${sample.report.groups.length} warnings, ${sample.report.groups.length - fresh} accepted, ${fresh} new.`);
    expect(printed(sample.out)).toHaveLength(fresh);
    // The accepted ones are counted, not printed: the sample environments accept the clouds' documented limits.
    expect(sample.report.groups.filter((g) => g.accepted).length).toBeGreaterThan(40);
    expect(sample.out).not.toMatch(/\[gcp:gateway\.burst\]/);
  });

  test("with the reference service and the three ported apps: at most 20 warnings, each once per environment with every service it affects", () => {
    expect(printed(four.out).length).toBeLessThanOrEqual(20);
    expect(printed(four.out).length).toBeGreaterThan(printed(sample.out).length);
    // Once per environment and id, never once per service or stack.
    const keys = printed(four.out).map((l) => /^ {2}! \[([^\]]+)\] (\w+):/.exec(l)!.slice(1).join(" "));
    expect(new Set(keys).size).toBe(keys.length);
    // Python consumers in two services (coffee's `brews` is consumed by the reference worker, a Node
    // function on the runtime, since issue 24's journeys): one warning in dev naming both and their queues.
    const block = four.out.split("\n");
    const i = block.findIndex((l) => l.startsWith("  ! [azure:queue.retrySpacingSeconds] dev:"));
    expect(i).toBeGreaterThanOrEqual(0);
    expect(block[i + 1]).toBe("      services: shopcart (queue:delete-from-cart), ingest (queue:jobs); stacks: dev-azure");
    // A deviation the environment accepts stays accepted whichever service raises it.
    const burst = four.report.groups.find((g) => g.environment === "prod" && g.id === "gcp:gateway.burst")!;
    expect(burst.accepted).toBe(true);
    expect([...burst.services.keys()]).toEqual(["orders", "shopcart", "coffee", "ingest"]);
  });

  test("every warning the sample and the four services raise has a listed id (so an environment can accept it)", () => {
    const unlisted = [...sample.report.groups, ...four.report.groups].filter((g) => !g.known).map((g) => `${g.id}: ${g.messages[0]}`);
    expect(unlisted).toEqual([]);
  });

  test("accepted ids nothing raises any more are named, so accept lists can be kept tidy", () => {
    // The sample environments list only what each raises (environments/accepted.ts).
    expect(sample.report.unusedAccepts.map((u) => `${u.environment} ${u.id}`)).toEqual([]);
    const raised = new Set(sample.report.groups.map((g) => `${g.environment} ${g.id}`));
    for (const u of sample.report.unusedAccepts) expect(raised.has(`${u.environment} ${u.id}`)).toBe(false);
    expect(formatWarnings(sample.report, { showUnusedAccepts: true }).includes("Accepted but not raised any more")).toBe(sample.report.unusedAccepts.length > 0);
  });
});

describe("accept", () => {
  const devOnly = (accept: readonly string[] | undefined): EnvironmentConfig => ({ ...dev, accept });

  test("an accepted id is counted, not printed; without it the same warning prints", () => {
    const onlyAzure = (accept: readonly string[]) => ({ ...devOnly(accept), clouds: { azure: dev.clouds.azure } }) as EnvironmentConfig;
    const without = synth({ environments: [onlyAzure([])], service: referenceService });
    expect(without.out).toMatch(/^ {2}! \[azure:gateway\.throttle\] dev: /m);
    const ids = without.report.groups.map((g) => g.id);
    const withAll = synth({ environments: [onlyAzure(ids)], service: referenceService });
    expect(printed(withAll.out)).toEqual([]);
    expect(withAll.out).toBe(`Synth: ${ids.length} warnings, ${ids.length} accepted, 0 new.`);
  });

  test("an unknown id is a validation error naming it (with the nearest known id); a repeat too; another cloud's id is allowed", () => {
    const env = { ...devOnly(["gcp:gateway.brust", "azure:budget.scope", "azure:budget.scope", "aws:database.pooled"]), clouds: { gcp: dev.clouds.gcp, azure: dev.clouds.azure } } as EnvironmentConfig;
    expect(validateEnvironment(env).messages()).toEqual([
      `environments/dev: property 'accept[0]' has value "gcp:gateway.brust"; allowed: the id of a known warning, as the synth prints it in [brackets] (${[...knownWarningIds().keys()].filter((k) => k.startsWith("gcp:")).length} known for gcp; did you mean "gcp:gateway.burst"?)`,
      `environments/dev: property 'accept[2]' has value "azure:budget.scope"; allowed: each id once`,
    ]);
    expect(validateEnvironment({ ...dev, accept: "gcp:gateway.burst" as never }).messages()).toEqual([expect.stringMatching(/property 'accept' has value "gcp:gateway\.burst"; allowed: an array of strings/)]);
  });

  test("the synth refuses an unknown id with the stacks it affects, and writes nothing", () => {
    const app = Testing.app() as App;
    buildStacks(app, { environments: [{ ...devOnly([...(dev.accept ?? []), "aws:lambda.typo"]), clouds: { aws: dev.clouds.aws } } as EnvironmentConfig], service: referenceService });
    let error: unknown;
    try { synthAll(app); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(SynthValidationError);
    expect((error as Error).message).toMatch(/environments\/dev: property 'accept\[\d+\]' has value "aws:lambda\.typo"; allowed: the id of a known warning[^\n]*\n\s+stacks: dev-aws/);
  });

  test("every sample environment's accept list is valid", () => {
    for (const env of environments) expect(validateEnvironment(env).messages()).toEqual([]);
  });
});

describe("classification", () => {
  test("deviation warnings carry <cloud>:<field>; construct warnings their listed id and component", () => {
    expect(classifyWarning("gcp", "behaviour of service cart, gateway:web: gateway.burst on gcp is up to burstLimit + 10 × rateLimit in one instant (Cloud Armor counts requests in fixed 10 s windows, not a token bucket).")).toEqual({
      id: "gcp:gateway.burst", known: true, component: "gateway:web",
      summary: "gateway.burst on gcp is up to burstLimit + 10 × rateLimit in one instant (Cloud Armor counts requests in fixed 10 s windows, not a token bucket)",
    });
    expect(classifyWarning("gcp", "GcpQueue(jobs): property 'batchSize' = 10 cannot be honoured on Pub/Sub push: push delivers one message per request.")).toMatchObject({ id: "gcp:queue.batchSize", known: true, component: "queue:jobs" });
    // A construct warning restating a deviation reads like the deviation.
    expect(classifyWarning("azure", "AzureFunction(api): property 'memoryMb' = 256 is rounded up to 2048 MB, the nearest Flex Consumption instance size (2048 or 4096).").summary)
      .toBe(deviationWarningIds().get("azure:function.memoryMb"));
    // Not listed: printed with an id derived from its property, and marked so it cannot be accepted.
    expect(classifyWarning("aws", "AwsQueue(q): property 'fifo' = true is new.")).toMatchObject({ id: "aws:queue.fifo", known: false, component: "queue:q" });
  });

  test("every listed construct id is unique and names its cloud", () => {
    const ids = CONSTRUCT_WARNINGS.map((w) => w.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^(aws|gcp|azure):[a-z][A-Za-z.]+$/);
  });

  test("grouping: once per environment and id; budget deviations belong to the environment; unused accepts are reported", () => {
    const raised = (service: string, stack: string, environment = "dev") => ({ environment, cloud: "gcp" as const, stack, service, message: `behaviour of service ${service}, budget:env: budget.scope on gcp is the project (why).` });
    const r = groupWarnings([raised("a", "dev-gcp"), raised("b", "dev-gcp"), raised("a", "prod-gcp", "prod")], { dev: ["gcp:budget.scope", "gcp:gateway.cors"], prod: [] });
    expect(r.groups.map((g) => [g.environment, g.id, g.accepted, [...g.services.entries()]])).toEqual([
      ["dev", "gcp:budget.scope", true, [["(environment)", []]]],
      ["prod", "gcp:budget.scope", false, [["(environment)", []]]],
    ]);
    expect(r.unusedAccepts).toEqual([{ environment: "dev", id: "gcp:gateway.cors" }]);
  });
});
