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

test("resource-level tags win over the contract defaults; data sources (getter-only tags) are left alone", () => {
  const { AzureTagsAspect, acceptsTags } = jest.requireActual("@polycloud/azure");
  const { Testing, TerraformStack, Aspects } = jest.requireActual("cdktf");
  const { ResourceGroup } = jest.requireActual("@cdktf/provider-azurerm/lib/resource-group");
  const { DataAzurermResourceGroup } = jest.requireActual("@cdktf/provider-azurerm/lib/data-azurerm-resource-group");
  const stack = new TerraformStack(Testing.app(), "tags");
  const rg = new ResourceGroup(stack, "rg", { name: "rg", location: "westeurope", tags: { owner: "team-b", extra: "1" } });
  const data = new DataAzurermResourceGroup(stack, "existing", { name: "shared" });
  expect([acceptsTags(rg), acceptsTags(data)]).toEqual([true, false]);
  Aspects.of(stack).add(new AzureTagsAspect({ owner: "platform", environment: "dev" }));
  const json = JSON.parse(Testing.synth(stack));
  expect(json.resource.azurerm_resource_group.rg.tags).toEqual({ owner: "team-b", environment: "dev", extra: "1" });
  expect(json.data.azurerm_resource_group.existing.tags).toBeUndefined();
});

test("the check catches a resource the aspect missed", () => {
  const json = JSON.parse(JSON.stringify(stacks[0][1])) as SynthJson;
  delete Object.values(json.resource.azurerm_key_vault)[0].tags;
  expect(azureTagFindings(json, "dev")).toContainEqual(expect.stringMatching(/azurerm_key_vault\..* lacks environment/));
});
