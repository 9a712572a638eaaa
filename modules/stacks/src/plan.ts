import type { Cloud, EnvironmentConfig, ServiceSpec, WarningReport } from "@polycloud/core";
import { formatWarningReport } from "@polycloud/core";

/**
 * A composition as data: which stacks exist, what each renders, and how problems are reported.
 * Nothing here loads cdktf or a provider package (only @polycloud/core), so a synthesis with
 * nothing to rebuild (synthesize.ts) decides that without loading them.
 */
export interface BuildOptions {
  readonly environments: readonly EnvironmentConfig[];
  /** The service each environment renders. */
  readonly service?: (env: EnvironmentConfig) => ServiceSpec;
  /** Several services per environment (instead of `service`). A service's `clouds` limits where it renders. */
  readonly services?: (env: EnvironmentConfig) => readonly ServiceSpec[];
  /** Comma-separated stack names, `*` allowed (e.g. `dev-*,prod-aws`). @default every stack */
  readonly filter?: string;
}

/** One stack of a composition, before anything is constructed. */
export interface StackPlan {
  readonly id: string;
  readonly env: EnvironmentConfig;
  readonly cloud: Cloud;
  /** `environment`: every service of env × cloud; `shared`: a partitioned foundation; `service`: one partitioned service. */
  readonly kind: "environment" | "shared" | "service";
  /** The services the stack renders (one for `service`, none for `shared`). */
  readonly services: readonly ServiceSpec[];
  /** A `service` stack's shared stack. */
  readonly shared?: string;
  /**
   * A `shared` stack's service stacks that a filter left out of this run: the outputs they read
   * from it stay (synthesize.ts takes their references from the previous output's record).
   */
  readonly unselected?: readonly string[];
  /**
   * A `shared` stack's services in the composition, selected or not: what its shared tier (one
   * database server, ...) is built for, so its content never depends on the run's selection.
   */
  readonly tierServices?: readonly ServiceSpec[];
}

export interface CompositionPlan {
  /** The selected stacks, in the order they are built (a shared stack before its services). */
  readonly stacks: readonly StackPlan[];
  /** Per environment: services that name none of its clouds (an error on every stack of that environment). */
  readonly nowhere: Readonly<Record<string, readonly string[]>>;
  /** Every stack the composition has, selected or not. */
  readonly names: readonly string[];
}

/**
 * The stacks of every environment × enabled cloud, as data:
 * - `partitioning: "environment"` (default): one stack `<env>-<cloud>` with every service;
 * - `partitioning: "service"`: `<env>-<cloud>-shared` (foundation and budget) and one
 *   `<env>-<cloud>-<service>` per service, each depending on the shared stack.
 * A filter that selects a service stack also selects its shared stack (the references need it).
 */
export function planStacks(options: BuildOptions): CompositionPlan {
  const patterns = (options.filter ?? "").split(",").map((s) => s.trim()).filter(Boolean)
    .map((p) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`));
  const wanted = (id: string) => !patterns.length || patterns.some((re) => re.test(id));
  const stacks: StackPlan[] = [];
  const names: string[] = [];
  const nowhere: Record<string, string[]> = {};
  for (const env of options.environments) {
    const services = options.services ? [...options.services(env)] : options.service ? [options.service(env)] : [];
    const enabled = Object.keys(env.clouds ?? {});
    // A service that names no cloud of the environment would render nowhere: an error, never a silent drop.
    const lost = services.filter((s) => Array.isArray(s.clouds) && s.clouds.length > 0 && !s.clouds.some((c) => enabled.includes(c)))
      .map((s) => `ServiceSpec ${s.name}: property 'clouds' has value ${JSON.stringify(s.clouds)}; allowed: clouds enabled in environments/${env.name} (${enabled.join(", ")})`);
    if (lost.length) nowhere[env.name] = lost;
    for (const key of enabled) {
      const cloud = key as Cloud;
      // Services choose their clouds (`clouds`, default all); the foundation, alarms and budget of
      // each cloud cover the services present there.
      const services_ = services.filter((s) => !Array.isArray(s.clouds) || s.clouds.length === 0 || s.clouds.includes(cloud));
      if (env.partitioning === "service") {
        const sharedId = `${env.name}-${cloud}-shared`;
        const ids = services_.map((s) => `${env.name}-${cloud}-${s.name}`);
        names.push(sharedId, ...ids);
        const selected = services_.filter((_, i) => wanted(ids[i]));
        if (!selected.length && !wanted(sharedId)) continue;
        const unselected = ids.filter((id) => !wanted(id));
        stacks.push({ id: sharedId, env, cloud, kind: "shared", services: [], tierServices: services_, ...(unselected.length ? { unselected } : {}) });
        for (const svc of selected) stacks.push({ id: `${env.name}-${cloud}-${svc.name}`, env, cloud, kind: "service", services: [svc], shared: sharedId });
      } else {
        const id = `${env.name}-${cloud}`;
        names.push(id);
        if (wanted(id)) stacks.push({ id, env, cloud, kind: "environment", services: services_ });
      }
    }
  }
  if (patterns.length && stacks.length === 0) {
    throw new Error(`PLATFORM_STACKS: property 'filter' has value ${JSON.stringify(options.filter)}; allowed: patterns matching at least one of ${names.join(", ")} (clouds: ${cloudNames()})`);
  }
  return { stacks, nowhere, names };
}

/** The clouds this release knows (loaded only for the error message). */
function cloudNames(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require("@polycloud/core") as typeof import("@polycloud/core")).CLOUDS.join(", ");
}

/** The validation problems of a composition, each once with the stacks it affects. */
export class SynthValidationError extends Error {
  constructor(readonly problems: readonly { message: string; stacks: readonly string[] }[]) {
    super(`Validation failed: ${problems.length} problem${problems.length === 1 ? "" : "s"}, each listed once with the stacks it affects; nothing was written.\n${formatGrouped(problems)}`);
    this.name = "SynthValidationError";
  }
}

export function formatGrouped(groups: readonly { message: string; stacks: readonly string[] }[]): string {
  return groups.map((g) => `  - ${g.message}\n      stacks: ${g.stacks.join(", ")}`).join("\n");
}

/** message -> stacks, in first-seen order. */
export function group(entries: readonly { stack: string; message: string }[]): { message: string; stacks: string[] }[] {
  const out = new Map<string, string[]>();
  for (const { stack, message } of entries) {
    const stacks = out.get(message) ?? [];
    if (!stacks.includes(stack)) stacks.push(stack);
    out.set(message, stacks);
  }
  return [...out].map(([message, stacks]) => ({ message, stacks }));
}

/** Prints the warnings (stdout) the way `npm run synth` shows them, ending with the one-line summary. */
export function formatWarnings(report: WarningReport, opts: { readonly showUnusedAccepts?: boolean } = {}): string {
  return formatWarningReport(report, opts);
}
