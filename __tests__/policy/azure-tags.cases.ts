import { REQUIRED_TAG_KEYS } from "@polycloud/core";
import { SynthJson } from "../helpers/synth";
import { allStacks } from "../helpers/all-stacks";

/**
 * Azure: no provider default tags, so the tag aspect must reach every resource whose binding has
 * a `tags` argument. Taggability and the argument's type (key/value map, or a list of strings as
 * on API Management named values) are read from the provider bindings (one deep import per
 * folder; the type from the binding's attribute metadata), so a resource the aspect missed, or
 * tags of the wrong shape, are caught even if nobody thought of them.
 */
const kinds = new Map<string, string | undefined>();
let scratch: any;
export function tagKind(type: string): string | undefined {
  if (!kinds.has(type)) {
    let kind: string | undefined;
    if (type.startsWith("azurerm_")) {
      const folder = type.replace(/^azurerm_/, "").replace(/_/g, "-");
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(`@cdktf/provider-azurerm/lib/${folder}`);
      const cls = Object.values(mod).find((v: any) => v?.tfResourceType === type) as any;
      if (cls && "tags" in cls.prototype) {
        const { Testing, TerraformStack } = jest.requireActual("cdktf");
        scratch ??= new TerraformStack(Testing.app(), "tag-kinds");
        kind = new cls(scratch, type, { tags: [] }).synthesizeHclAttributes().tags?.type;
      }
    }
    kinds.set(type, kind);
  }
  return kinds.get(type);
}
const isTaggable = (type: string) => tagKind(type) === "map";

export function azureTagFindings(json: SynthJson, envName: string): string[] {
  const findings: string[] = [];
  for (const [type, byName] of Object.entries(json.resource)) {
    const kind = tagKind(type);
    if (kind === "list") {
      // Labels, not resource tags: absent or a list of strings, never the contract's map.
      for (const [name, r] of Object.entries(byName)) if (r.tags !== undefined && !(Array.isArray(r.tags) && r.tags.every((t: unknown) => typeof t === "string"))) findings.push(`${type}.${name} tags not a list of strings`);
      continue;
    }
    if (kind !== "map") continue;
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
  expect(tagKind("azurerm_api_management_named_value")).toBe("list");
  expect(tagKind("azurerm_resource_group")).toBe("map");
  expect(azureTagFindings(json, envName)).toEqual([]);
});

test("a list-typed tags argument (APIM named value) gets no tag map; the check catches one that does", () => {
  const prod = JSON.parse(JSON.stringify(stacks[2][1])) as SynthJson;
  const values = Object.values(prod.resource.azurerm_api_management_named_value ?? {});
  expect(values.length).toBeGreaterThan(0);
  for (const v of values) expect(v.tags).toBeUndefined();
  values[0].tags = { environment: "prod" };
  expect(azureTagFindings(prod, "prod")).toContainEqual(expect.stringMatching(/azurerm_api_management_named_value\..* tags not a list of strings/));
});

test("resource-level tags win over the contract defaults; data sources (getter-only tags) are left alone", () => {
  const { AzureTagsAspect, acceptsTags, tagAttributeKind } = jest.requireActual("@polycloud/azure");
  const { ApiManagementNamedValue } = jest.requireActual("@cdktf/provider-azurerm/lib/api-management-named-value");
  const { Testing, TerraformStack, Aspects } = jest.requireActual("cdktf");
  const { ResourceGroup } = jest.requireActual("@cdktf/provider-azurerm/lib/resource-group");
  const { DataAzurermResourceGroup } = jest.requireActual("@cdktf/provider-azurerm/lib/data-azurerm-resource-group");
  const stack = new TerraformStack(Testing.app(), "tags");
  const rg = new ResourceGroup(stack, "rg", { name: "rg", location: "westeurope", tags: { owner: "team-b", extra: "1" } });
  const data = new DataAzurermResourceGroup(stack, "existing", { name: "shared" });
  const named = new ApiManagementNamedValue(stack, "named", { name: "n", displayName: "n", resourceGroupName: "rg", apiManagementName: "apim", value: "v" });
  expect([acceptsTags(rg), acceptsTags(data), acceptsTags(named)]).toEqual([true, false, false]);
  expect([tagAttributeKind(rg), tagAttributeKind(data), tagAttributeKind(named)]).toEqual(["map", undefined, "list"]);
  Aspects.of(stack).add(new AzureTagsAspect({ owner: "platform", environment: "dev" }));
  const json = JSON.parse(Testing.synth(stack));
  expect(json.resource.azurerm_resource_group.rg.tags).toEqual({ owner: "team-b", environment: "dev", extra: "1" });
  expect(json.data.azurerm_resource_group.existing.tags).toBeUndefined();
  expect(json.resource.azurerm_api_management_named_value.named.tags).toBeUndefined();
});

test("the check catches a resource the aspect missed", () => {
  const json = JSON.parse(JSON.stringify(stacks[0][1])) as SynthJson;
  delete Object.values(json.resource.azurerm_key_vault)[0].tags;
  expect(azureTagFindings(json, "dev")).toContainEqual(expect.stringMatching(/azurerm_key_vault\..* lacks environment/));
});
