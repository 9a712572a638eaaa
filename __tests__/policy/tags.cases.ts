import { REQUIRED_TAG_KEYS } from "@polycloud/core";
import { SynthJson } from "../helpers/synth";
import { allStacks } from "../helpers/all-stacks";

/**
 * Every taggable resource in every stack carries every required tag. On AWS the tags come from
 * the provider's default_tags; a resource may add tags but never weaken a required one.
 * Taggability is read from the provider bindings: a resource class with a `tags` attribute.
 */
const taggable = new Map<string, boolean>();
function isTaggable(type: string): boolean {
  if (!taggable.has(type)) {
    const folder = type.replace(/^aws_/, "").replace(/_/g, "-");
    // A computed deep import of one resource folder (never the barrel).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(`@cdktf/provider-aws/lib/${folder}`);
    const cls = Object.values(mod).find((v: any) => v?.tfResourceType === type) as any;
    taggable.set(type, !!cls && "tags" in cls.prototype);
  }
  return taggable.get(type)!;
}

export function tagFindings(json: SynthJson, envName: string): string[] {
  const defaults = json.provider?.aws?.[0]?.default_tags?.[0]?.tags ?? {};
  const findings: string[] = [];
  for (const key of REQUIRED_TAG_KEYS) {
    if (!/^[a-z0-9_-]{1,63}$/.test(defaults[key] ?? "")) findings.push(`provider default tag ${key} missing or invalid`);
  }
  if (defaults.environment !== envName) findings.push(`default environment tag ${defaults.environment} != ${envName}`);
  for (const [type, byName] of Object.entries(json.resource)) {
    if (!isTaggable(type)) continue;
    for (const [name, r] of Object.entries(byName)) {
      for (const key of REQUIRED_TAG_KEYS) {
        // A service's own resources (addresses start with the service's construct id) carry `service=<it>`.
        const ok = (v: string) => v === defaults[key] || (key === "service" && v === name.split("_")[0]);
        if (r.tags && key in r.tags && !ok(r.tags[key])) findings.push(`${type}.${name} overrides ${key} with ${JSON.stringify(r.tags[key])}`);
      }
    }
  }
  return findings;
}

const stacks = ["dev", "staging", "prod"].map((n) => [n, allStacks()[`${n}-aws`]] as const);

test.each(stacks)("%s-aws: every taggable resource carries the required tags", (envName, json) => {
  const types = Object.keys(json.resource).filter(isTaggable);
  expect(types.length).toBeGreaterThan(15);
  expect(types).toEqual(expect.arrayContaining(["aws_lambda_function", "aws_sqs_queue", "aws_rds_cluster", "aws_cloudwatch_log_group", "aws_budgets_budget"]));
  // Dev connects to Aurora without RDS Proxy (environments/dev.ts).
  if (envName !== "dev") expect(types).toContain("aws_db_proxy");
  expect(isTaggable("aws_iam_role_policy")).toBe(false);
  expect(tagFindings(json, envName)).toEqual([]);
});

test("the check catches a weakened or missing tag", () => {
  const json = JSON.parse(JSON.stringify(stacks[0][1])) as SynthJson;
  const fn = Object.values(json.resource.aws_lambda_function)[0];
  fn.tags = { environment: "prod" };
  delete json.provider!.aws[0].default_tags[0].tags.owner;
  const findings = tagFindings(json, "dev");
  expect(findings).toEqual(expect.arrayContaining([expect.stringMatching(/overrides environment with "prod"/), "provider default tag owner missing or invalid"]));
});
