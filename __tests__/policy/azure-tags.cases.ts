import { REQUIRED_TAG_KEYS } from "@polycloud/core";
import { SynthJson } from "../helpers/synth";
import { allStacks } from "../helpers/all-stacks";

/**
 * Azure: no provider default tags, so the tag aspect must reach every resource whose binding has
 * a `tags` argument. Taggability is read from the provider bindings (one deep import per folder),
 * so a resource the aspect missed is caught even if nobody thought of it.
 */
const taggable = new Map<string, boolean>();
function isTaggable(type: string): boolean {
  if (!taggable.has(type)) {
    const folder = type.replace(/^azurerm_/, "").replace(/_/g, "-");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(`@cdktf/provider-azurerm/lib/${folder}`);
    const cls = Object.values(mod).find((v: any) => v?.tfResourceType === type) as any;
    taggable.set(type, !!cls && "tags" in cls.prototype);
  }
  return taggable.get(type)!;
}

export function azureTagFindings(json: SynthJson, envName: string): string[] {
  const findings: string[] = [];
  for (const [type, byName] of Object.entries(json.resource)) {
    if (!isTaggable(type)) continue;
    for (const [name, r] of Object.entries(byName)) {
      for (const key of REQUIRED_TAG_KEYS) if (!/^[a-z0-9_-]{1,63}$/.test(r.tags?.[key] ?? "")) findings.push(`${type}.${name} lacks ${key}`);
      if (r.tags?.environment && r.tags.environment !== envName) findings.push(`${type}.${name} environment=${r.tags.environment}`);
    }
  }
  return findings;
}

const stacks = ["dev", "staging", "prod"].map((n) => [n, allStacks()[`${n}-azure`]] as const);

test.each(stacks)("%s-azure: the aspect tags every taggable resource", (envName, json) => {
  const types = Object.keys(json.resource);
  expect(types.filter(isTaggable).length).toBeGreaterThan(15);
  expect(isTaggable("azurerm_servicebus_queue")).toBe(false);
  expect(isTaggable("azurerm_role_assignment")).toBe(false);
  expect(azureTagFindings(json, envName)).toEqual([]);
});

test("resource-level tags win over the contract defaults", () => {
  const { AzureTagsAspect } = jest.requireActual("@polycloud/azure");
  const target = { terraformResourceType: "azurerm_x", tagsInput: { owner: "team-b", extra: "1" }, tags: undefined as any };
  Object.setPrototypeOf(target, { tags: undefined });
  new AzureTagsAspect({ owner: "platform", environment: "dev" }).visit(target as any);
  expect(target.tags).toEqual({ owner: "team-b", environment: "dev", extra: "1" });
});

test("the check catches a resource the aspect missed", () => {
  const json = JSON.parse(JSON.stringify(stacks[0][1])) as SynthJson;
  delete Object.values(json.resource.azurerm_key_vault)[0].tags;
  expect(azureTagFindings(json, "dev")).toContainEqual(expect.stringMatching(/azurerm_key_vault\..* lacks environment/));
});
