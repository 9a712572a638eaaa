/**
 * Compares two versions of a provider's resource schemas (`terraform providers schema -json`)
 * for the resource types a configuration uses. The only change accepted is an added optional
 * attribute (or an added nested block with no minimum count, which is the same thing): anything else (a removed or retyped attribute, optional turning required, a changed
 * nested block or its item limits) could change what the older bindings' configuration means.
 * Descriptions and deprecation notes are ignored.
 */

interface Attribute { type?: unknown; nested_type?: unknown; required?: boolean; optional?: boolean; computed?: boolean; sensitive?: boolean }
interface Block { attributes?: Record<string, Attribute>; block_types?: Record<string, { nesting_mode?: string; min_items?: number; max_items?: number; block?: Block }> }
export interface ProviderSchemaJson { provider_schemas: Record<string, { resource_schemas?: Record<string, { block: Block }> }> }

const shape = (a: Attribute) => JSON.stringify({ type: a.type, nested_type: a.nested_type, required: !!a.required, optional: !!a.optional, computed: !!a.computed, sensitive: !!a.sensitive });

function compareBlocks(at: string, before: Block, after: Block, out: string[]): void {
  for (const [name, a] of Object.entries(before.attributes ?? {})) {
    const b = after.attributes?.[name];
    if (!b) out.push(`${at}.${name}: removed`);
    else if (shape(a) !== shape(b)) out.push(`${at}.${name}: ${shape(a)} -> ${shape(b)}`);
  }
  for (const [name, b] of Object.entries(after.attributes ?? {})) {
    if (!before.attributes?.[name] && (b.required || !b.optional)) out.push(`${at}.${name}: added and ${b.required ? "required" : "not optional"}`);
  }
  for (const [name, a] of Object.entries(before.block_types ?? {})) {
    const b = after.block_types?.[name];
    if (!b) { out.push(`${at}.${name}: block removed`); continue; }
    for (const k of ["nesting_mode", "min_items", "max_items"] as const) {
      if ((a[k] ?? null) !== (b[k] ?? null)) out.push(`${at}.${name}: ${k} ${a[k]} -> ${b[k]}`);
    }
    compareBlocks(`${at}.${name}`, a.block ?? {}, b.block ?? {}, out);
  }
  for (const [name, b] of Object.entries(after.block_types ?? {})) {
    // A new nested block nobody has to write (min_items 0) is an added optional argument too.
    if (!before.block_types?.[name] && (b.min_items ?? 0) > 0) out.push(`${at}.${name}: block added with min_items ${b.min_items}`);
  }
}

/** Every schema change between `before` and `after` for `types`, except added optional attributes. */
export function schemaChanges(before: ProviderSchemaJson, after: ProviderSchemaJson, provider: string, types: readonly string[]): string[] {
  const pick = (s: ProviderSchemaJson) => s.provider_schemas[provider]?.resource_schemas ?? {};
  const [b, a] = [pick(before), pick(after)];
  const out: string[] = [];
  for (const type of types) {
    if (!b[type]) { out.push(`${type}: unknown to the older version`); continue; }
    if (!a[type]) { out.push(`${type}: unknown to the newer version`); continue; }
    compareBlocks(type, b[type].block, a[type].block, out);
  }
  return out;
}
