import { AnnotationMetadataEntryType, App, TerraformStack } from "cdktf";
import { IConstruct } from "constructs";
import { CLOUDS, Cloud, EnvironmentConfig, RaisedWarning, ServiceSpec, WarningReport, formatWarningReport, groupWarnings, problemCloud, removeStamp, writeStamp } from "@polycloud/core";
import { PlatformStack } from "./platform-stack";

export interface BuildOptions {
  readonly environments: readonly EnvironmentConfig[];
  /** The service each environment renders. */
  readonly service?: (env: EnvironmentConfig) => ServiceSpec;
  /** Several services per environment (instead of `service`). A service's `clouds` limits where it renders. */
  readonly services?: (env: EnvironmentConfig) => readonly ServiceSpec[];
  /** Comma-separated stack names, `*` allowed (e.g. `dev-*,prod-aws`). @default every stack */
  readonly filter?: string;
}

/**
 * Creates the stacks of every environment × enabled cloud:
 * - `partitioning: "environment"` (default): one stack `<env>-<cloud>` with every service;
 * - `partitioning: "service"`: `<env>-<cloud>-shared` (foundation and budget) and one
 *   `<env>-<cloud>-<service>` per service, each depending on the shared stack.
 * A filter that selects a service stack also builds its shared stack (the references need it).
 */
export function buildStacks(app: App, options: BuildOptions): PlatformStack[] {
  const patterns = (options.filter ?? "").split(",").map((s) => s.trim()).filter(Boolean)
    .map((p) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`));
  const wanted = (id: string) => !patterns.length || patterns.some((re) => re.test(id));
  const stacks: PlatformStack[] = [];
  const names: string[] = [];
  for (const env of options.environments) {
    const services = options.services ? [...options.services(env)] : options.service ? [options.service(env)] : [];
    const enabled = Object.keys(env.clouds ?? {});
    // A service that names no cloud of the environment would render nowhere: an error, never a silent drop.
    const nowhere = services.filter((s) => Array.isArray(s.clouds) && s.clouds.length > 0 && !s.clouds.some((c) => enabled.includes(c)))
      .map((s) => `ServiceSpec ${s.name}: property 'clouds' has value ${JSON.stringify(s.clouds)}; allowed: clouds enabled in environments/${env.name} (${enabled.join(", ")})`);
    const envStacks = stacks.length;
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
        const shared = new PlatformStack(app, sharedId, { env, cloud, services: [] });
        stacks.push(shared);
        for (const svc of selected) {
          const stack = new PlatformStack(app, `${env.name}-${cloud}-${svc.name}`, { env, cloud, service: svc, foundation: shared });
          // Deploy order: the foundation first.
          stack.addDependency(shared);
          stacks.push(stack);
        }
      } else {
        const id = `${env.name}-${cloud}`;
        names.push(id);
        if (!wanted(id)) continue;
        stacks.push(new PlatformStack(app, id, { env, cloud, services: services_ }));
      }
    }
    if (nowhere.length) for (const stack of stacks.slice(envStacks)) stack.node.addValidation({ validate: () => nowhere });
  }
  if (patterns.length && stacks.length === 0) {
    throw new Error(`PLATFORM_STACKS: property 'filter' has value ${JSON.stringify(options.filter)}; allowed: patterns matching at least one of ${names.join(", ")} (clouds: ${CLOUDS.join(", ")})`);
  }
  return stacks;
}

/** The validation problems of a composition, each once with the stacks it affects. */
export class SynthValidationError extends Error {
  constructor(readonly problems: readonly { message: string; stacks: readonly string[] }[]) {
    super(`Validation failed: ${problems.length} problem${problems.length === 1 ? "" : "s"}, each listed once with the stacks it affects; nothing was written.\n${formatGrouped(problems)}`);
    this.name = "SynthValidationError";
  }
}

function formatGrouped(groups: readonly { message: string; stacks: readonly string[] }[]): string {
  return groups.map((g) => `  - ${g.message}\n      stacks: ${g.stacks.join(", ")}`).join("\n");
}

/** message -> stacks, in first-seen order. */
function group(entries: readonly { stack: string; message: string }[]): { message: string; stacks: string[] }[] {
  const out = new Map<string, string[]>();
  for (const { stack, message } of entries) {
    const stacks = out.get(message) ?? [];
    if (!stacks.includes(stack)) stacks.push(stack);
    out.set(message, stacks);
  }
  return [...out].map(([message, stacks]) => ({ message, stacks }));
}

const stacksOf = (app: App) => app.node.children.filter((c): c is TerraformStack => TerraformStack.isStack(c));

/**
 * Every problem raised inside a service names it: `service <name>: ` before the message, unless
 * it already does, or is about the environment file whichever service checks it.
 */
export function namingService(message: string, service: string | undefined): string {
  if (!service || message.startsWith(`service ${service}: `) || message.includes(`Service(${service})`)) return message;
  if (message.startsWith("environments/") || /^(Aws|Gcp|Azure)Service: property 'environments\//.test(message)) return message;
  return `service ${service}: ${message}`;
}

/** The service a construct belongs to: the stack's child it sits under, when that child renders a service. */
function serviceOf(stack: TerraformStack, node: IConstruct): string | undefined {
  if (!(stack instanceof PlatformStack)) return undefined;
  let top: IConstruct | undefined = node;
  while (top && top.node.scope !== stack) top = top.node.scope;
  return top && stack.services.includes(top as never) ? top.node.id : undefined;
}

/**
 * Validates every stack before writing anything, so one run lists the problems of all stacks,
 * each once with the stacks it affects, then synthesizes. cdktf alone would stop at the first
 * stack that fails and repeat a shared mistake in every stack. A failed validation removes the
 * sources stamp of the output directory, so policy and plan scripts refuse the previous output.
 * Returns the warnings, each once per environment and id with the services it affects, marked
 * accepted when the environment's `accept` list names it.
 */
export function synthAll(app: App, options: { readonly sources?: readonly string[] } = {}): WarningReport {
  removeStamp(app.outdir);
  const problems: { stack: string; message: string }[] = [];
  const rendered = new Set(stacksOf(app).map((s) => s instanceof PlatformStack ? `${s.env.name}:${s.cloud}` : ""));
  for (const stack of stacksOf(app)) {
    const cloud = stack instanceof PlatformStack ? stack.cloud : undefined;
    for (const node of stack.node.findAll()) {
      for (const message of node.node.validate()) {
        // A problem of one cloud's settings is listed against that cloud's stacks only (against
        // every stack when that cloud has none, e.g. a budget share for a cloud not enabled).
        const about = problemCloud(message);
        if (about && cloud && about !== cloud && rendered.has(`${(stack as PlatformStack).env.name}:${about}`)) continue;
        problems.push({ stack: stack.node.id, message: namingService(message, serviceOf(stack, node)) });
      }
    }
  }
  if (problems.length) throw new SynthValidationError(group(problems));
  app.synth();
  // The stamp hashes what the synthesis read: the project's sources and the folders the services name.
  writeStamp(app.outdir, process.cwd(), options.sources);
  return collectWarnings(app);
}

/** The warnings raised in an app's platform stacks, grouped per environment and id. */
export function collectWarnings(app: App): WarningReport {
  const raised: RaisedWarning[] = [];
  const accepts: Record<string, readonly string[] | undefined> = {};
  for (const stack of stacksOf(app)) {
    const env = stack instanceof PlatformStack ? stack.env : undefined;
    if (env) accepts[env.name] = env.accept ?? [];
    for (const node of stack.node.findAll()) {
      for (const entry of node.node.metadata) {
        if (entry.type !== AnnotationMetadataEntryType.WARN) continue;
        raised.push({
          environment: env?.name ?? stack.node.id, cloud: (stack as PlatformStack).cloud ?? "aws", stack: stack.node.id,
          service: serviceOf(stack, node), message: String(entry.data),
        });
      }
    }
  }
  return groupWarnings(raised, accepts);
}

/** Prints the warnings (stdout) the way `npm run synth` shows them, ending with the one-line summary. */
export function formatWarnings(report: WarningReport, opts: { readonly showUnusedAccepts?: boolean } = {}): string {
  return formatWarningReport(report, opts);
}
