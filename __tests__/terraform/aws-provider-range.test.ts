import * as fs from "node:fs";
import * as path from "node:path";
import { TerraformStack, Testing } from "cdktf";
import { buildTags } from "@polycloud/core";
import { AWS_BINDINGS_LOWER_BOUND, AWS_PROVIDER_LOWER_BOUND, AWS_PROVIDER_RANGE, AwsFoundation, AwsService } from "@polycloud/aws";
import { TypeArguments, argumentsSet, bindingFolders, typeArguments } from "../../scripts/terraform/binding-arguments";
import { ProviderArgumentsSnapshot, awsTypesUsed } from "../../scripts/terraform/aws-lower-bound";
import { satisfies } from "../../scripts/gitops/lock-files";
import { referenceService } from "../../stacks/reference-service";
import { allStacks } from "../helpers/all-stacks";
import { clone } from "../helpers/cloud-fixtures";
import { envByName, synthPlatform } from "../helpers/synth";
import { coffeeService, useCoffeeWheels } from "../fixtures/coffee-service";

/**
 * Issue 28.4: the AWS modules state the provider range they support (`required_providers` and the
 * package's peer range) instead of pinning 6.25.0 exactly, and every argument every AWS stack sets
 * exists in the range's lower bound. The lower bound's schema is the argument snapshot of its
 * prebuilt bindings (fixtures/aws-provider-lower-bound.json, written by
 * scripts/terraform/aws-lower-bound.ts from @cdktf/provider-aws 21.12.0 = hashicorp/aws 6.15.0).
 * The offline plan (offline-terraform.test.ts) runs the 5.x mirror, below the range: it checks
 * the configuration's structure, not 6.15's schema; this test checks the schema.
 */
const REPO = path.resolve(__dirname, "..", "..");
const snapshot: ProviderArgumentsSnapshot = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "aws-provider-lower-bound.json"), "utf8"));
const INSTALLED = path.join(REPO, "node_modules", "@cdktf", "provider-aws");
const META_PROVIDER = new Set(["alias"]);

/** Every AWS stack the repository synthesizes, and variants that reach the optional resources. */
function awsStacks(): Record<string, any> {
  const out: Record<string, any> = {};
  for (const [name, json] of Object.entries(allStacks())) if (name.endsWith("-aws")) out[name] = json;
  useCoffeeWheels();
  const dev = envByName("dev");
  out["dev-aws+coffee"] = synthPlatform(dev, coffeeService(dev)).json;
  // A rule into a function (async invoke config) and an existing network (subnet data sources).
  const service = clone(referenceService(dev)) as any;
  service.buses.events.rules.audit = { filter: { source: ["orders.api"] }, target: { function: "worker" } };
  const existing = clone(envByName("prod")) as any;
  existing.clouds.aws.network = { vpcId: "vpc-0123456789abcdef0", privateSubnetIds: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"] };
  out["dev-aws+function-rule"] = synthPlatform(dev, service).json;
  out["prod-aws+existing-network"] = synthPlatform(existing, referenceService(existing)).json;
  // A custom domain (domain name and API mapping).
  const stack = new TerraformStack(Testing.app(), "custom-domain");
  const f = new AwsFoundation(stack, "f", { env: dev, serviceName: "shop", tags: buildTags({ ...dev.tags, environment: "dev", service: "shop" }) });
  new AwsService(stack, "shop", {
    context: f.context,
    service: { name: "shop", functions: { web: { source: "stacks/reference/functions/api", runtime: "nodejs22", handler: "index.handler" } },
      gateways: { www: { routes: [{ method: "GET", path: "/", function: "web" }], throttle: { rateLimit: 10, burstLimit: 20 } } } },
    aws: { gateways: { www: { customDomain: { domainName: "api.example.com", certificateArn: "arn:aws:acm:eu-west-1:111111111111:certificate/abc" } } } },
  });
  out["custom-domain"] = JSON.parse(Testing.synth(stack));
  return out;
}

/** Every argument path a stack sets (resources, data sources, the provider block) → where. */
function used(json: any, known: (type: string) => TypeArguments | undefined): Map<string, string[]> {
  const paths = argumentsSet(json, "aws_", known);
  for (const p of json.provider?.aws ?? []) {
    for (const [k, v] of Object.entries<any>(p)) {
      if (META_PROVIDER.has(k)) continue;
      paths.set(`aws.${k}`, ["provider.aws"]);
      if ((known("aws")?.blocks ?? []).includes(`aws.${k}`)) {
        for (const item of Array.isArray(v) ? v : [v]) for (const kk of Object.keys(item ?? {})) paths.set(`aws.${k}.${kk}`, ["provider.aws"]);
      }
    }
  }
  return paths;
}

/** Paths of `paths` the schema `types` does not have, with where they are set. */
function unknownTo(types: Record<string, TypeArguments>, paths: Map<string, string[]>): string[] {
  const known = new Set(Object.values(types).flatMap((t) => [...t.attributes, ...t.blocks]));
  return [...paths].filter(([p]) => !known.has(p)).map(([p, at]) => `${p} (${at[0]})`).sort();
}

describe("AWS provider range (issue 28.4)", () => {
  const stacks = awsStacks();
  const lower = (type: string) => snapshot.types[type];

  test("every AWS stack states the supported range, not an exact version; the package peers the matching bindings range", () => {
    expect(AWS_PROVIDER_RANGE).toBe(`>= ${AWS_PROVIDER_LOWER_BOUND}, < 7.0.0`);
    for (const [name, json] of Object.entries(stacks)) {
      expect([name, json.terraform.required_providers.aws]).toEqual([name, { source: "aws", version: AWS_PROVIDER_RANGE }]);
    }
    // The bindings the repository builds with (6.25) and the lower bound are inside the range; 6.14 and 7.0 are not.
    const installed = JSON.parse(fs.readFileSync(path.join(INSTALLED, "package.json"), "utf8"));
    expect(satisfies(installed.cdktf.provider.version, AWS_PROVIDER_RANGE)).toBe(true);
    expect(satisfies(snapshot.version, AWS_PROVIDER_RANGE)).toBe(true);
    expect([satisfies(snapshot.below.version, AWS_PROVIDER_RANGE), satisfies("7.0.0", AWS_PROVIDER_RANGE)]).toEqual([false, false]);
    const manifest = JSON.parse(fs.readFileSync(path.join(REPO, "modules", "aws", "package.json"), "utf8"));
    expect(manifest.peerDependencies["@cdktf/provider-aws"]).toBe(`^${AWS_BINDINGS_LOWER_BOUND}`);
    expect(snapshot).toMatchObject({ provider: "registry.terraform.io/hashicorp/aws", version: AWS_PROVIDER_LOWER_BOUND, bindings: `@cdktf/provider-aws@${AWS_BINDINGS_LOWER_BOUND}` });
  });

  test("the snapshot covers every Terraform type modules/aws imports (regenerate it when a new one is added)", () => {
    const types = awsTypesUsed(REPO, INSTALLED);
    expect(types.filter((t) => t.startsWith("unknown:"))).toEqual([]);
    expect(types.filter((t) => !(t in snapshot.types))).toEqual([]);
  });

  test(`every argument of every AWS stack exists in hashicorp/aws ${AWS_PROVIDER_LOWER_BOUND}, the range's lower bound`, () => {
    const all = new Map<string, string[]>();
    for (const [name, json] of Object.entries(stacks)) {
      for (const [p, at] of used(json, lower)) all.set(p, [...(all.get(p) ?? []), ...at.map((a) => `${name}: ${a}`)]);
    }
    expect(all.size).toBeGreaterThan(250);
    expect(unknownTo(snapshot.types, all)).toEqual([]);
    // The optional resources were reached.
    for (const p of ["aws_apigatewayv2_domain_name.domain_name_configuration.security_policy", "data.aws_subnet.id", "aws_lambda_function_event_invoke_config.destination_config.on_failure.destination", "aws_db_proxy.default_auth_scheme", "aws_rds_cluster_instance.availability_zone"]) {
      expect([p, all.has(p)]).toEqual([p, true]);
    }
  });

  test("the bound is tight: the release below it lacks an argument the stacks set", () => {
    expect(snapshot.below.version).toBe("6.14.0");
    expect(snapshot.below.missing).toEqual({ aws_db_proxy: ["aws_db_proxy.default_auth_scheme"] });
    const setByStacks = new Set([...Object.values(stacks)].flatMap((json) => [...used(json, lower).keys()]));
    expect(Object.values(snapshot.below.missing).flat().filter((p) => setByStacks.has(p))).toEqual(["aws_db_proxy.default_auth_scheme"]);
  });

  test("negative controls: an argument missing from the schema is reported; the reader finds what the installed bindings emit", () => {
    const without: Record<string, TypeArguments> = { ...snapshot.types, aws_db_proxy: { ...snapshot.types.aws_db_proxy, attributes: snapshot.types.aws_db_proxy.attributes.filter((a) => a !== "aws_db_proxy.default_auth_scheme") } };
    const staging = used(stacks["staging-aws"], lower);
    expect(unknownTo(without, staging)).toEqual([expect.stringMatching(/^aws_db_proxy\.default_auth_scheme \(aws_db_proxy\./)]);
    // Read the same way from the installed 6.25 bindings, every argument the stacks set is known
    // (they were emitted by those bindings): the reader misses nothing.
    const folders = bindingFolders(INSTALLED);
    const installed = Object.fromEntries(Object.keys(snapshot.types).map((t) => [t, typeArguments(INSTALLED, t, folders)!]));
    for (const json of Object.values(stacks)) expect(unknownTo(installed, used(json, (t) => installed[t]))).toEqual([]);
    expect(installed.aws_db_proxy.attributes).toContain("aws_db_proxy.default_auth_scheme");
    expect(installed.aws_lambda_function.blocks).toEqual(expect.arrayContaining(["aws_lambda_function.vpc_config", "aws_lambda_function.logging_config"]));
  });
});
