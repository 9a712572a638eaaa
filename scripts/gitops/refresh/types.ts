/**
 * What refreshing one resource or data source type needs, per cloud: the permissions the
 * provider's read calls require at the pinned provider version, with the calls named, so the
 * plan identities hold exactly what `terraform plan` needs to refresh what the stacks emit.
 *
 * Keys are Terraform type names; data sources are prefixed `data.`. `permissions` may depend on the
 * synthesized configuration of the resource (e.g. an SKU that makes the provider read more).
 * `scope` marks permissions that must not be granted project- or subscription-wide because they
 * read data (object contents): the identity builders grant them only on the named resources.
 */
export type SynthConfig = Readonly<Record<string, unknown>>;

export interface RefreshEntry {
  /** The read calls the provider makes, as the API names them (documentation, and the GCP method check). */
  readonly calls: readonly string[];
  readonly permissions: readonly string[] | ((config: SynthConfig) => readonly string[]);
  /** Where the reading was confirmed (provider source file at the pinned tag). */
  readonly source: string;
  /** Why a permission that reads data or a secret is still needed, and how it is scoped. */
  readonly note?: string;
}

export type RefreshTable = Readonly<Record<string, RefreshEntry>>;

/** A stack's `cdk.tf.json`, as far as the permission builders read it. */
export interface StackJson {
  readonly resource?: Readonly<Record<string, Readonly<Record<string, SynthConfig>>>>;
  readonly data?: Readonly<Record<string, Readonly<Record<string, SynthConfig>>>>;
}

/** Every emitted type of the stacks (`data.` prefixed for data sources) with the configurations of its instances. */
export function emittedTypes(stacks: readonly StackJson[]): Map<string, SynthConfig[]> {
  const out = new Map<string, SynthConfig[]>();
  const add = (key: string, configs: readonly SynthConfig[]) => out.set(key, [...(out.get(key) ?? []), ...configs]);
  for (const s of stacks) {
    for (const [type, byName] of Object.entries(s.resource ?? {})) add(type, Object.values(byName));
    for (const [type, byName] of Object.entries(s.data ?? {})) add(`data.${type}`, Object.values(byName));
  }
  return out;
}

export interface RefreshNeeds {
  /** permission -> the emitted types that need it */
  readonly permissions: ReadonlyMap<string, readonly string[]>;
  /** Emitted types the table does not know: the identities cannot be built until they are added. */
  readonly unknown: readonly string[];
}

/** The permissions refreshing every emitted type needs, and the emitted types the table lacks. */
export function refreshNeeds(table: RefreshTable, stacks: readonly StackJson[], providerLevel: readonly string[] = []): RefreshNeeds {
  const permissions = new Map<string, string[]>();
  const unknown: string[] = [];
  const add = (p: string, why: string) => permissions.set(p, [...new Set([...(permissions.get(p) ?? []), why])]);
  for (const p of providerLevel) add(p, "(provider)");
  for (const [type, configs] of [...emittedTypes(stacks)].sort(([a], [b]) => a.localeCompare(b))) {
    const entry = table[type];
    if (!entry) {
      unknown.push(type);
      continue;
    }
    for (const config of configs) {
      for (const p of typeof entry.permissions === "function" ? entry.permissions(config) : entry.permissions) add(p, type);
    }
  }
  return { permissions: new Map([...permissions].sort(([a], [b]) => a.localeCompare(b))), unknown };
}
