import { AnnotationMetadataEntryType, App, TerraformStack } from "cdktf";
import { IConstruct } from "constructs";
import { RaisedWarning, WarningReport, groupWarnings, problemCloud, removeStamp, writeStamp } from "@polycloud/core";
import { PlatformStack } from "./platform-stack";
import { BuildOptions, CompositionPlan, StackPlan, SynthValidationError, group, planStacks } from "./plan";

export * from "./plan";

/**
 * Constructs one planned stack in `app` (a `service` stack on its shared stack, which must exist),
 * with the composition's problems of its environment as validations.
 */
export function constructStack(app: App, plan: StackPlan, composition: Pick<CompositionPlan, "nowhere">): PlatformStack {
  const { env, cloud } = plan;
  let stack: PlatformStack;
  if (plan.kind === "service") {
    const shared = app.node.tryFindChild(plan.shared!);
    if (!(shared instanceof PlatformStack)) throw new Error(`${plan.id}: its shared stack ${plan.shared} is not in the app`);
    stack = new PlatformStack(app, plan.id, { env, cloud, service: plan.services[0], foundation: shared });
    // Deploy order: the foundation first.
    stack.addDependency(shared);
  } else {
    stack = new PlatformStack(app, plan.id, { env, cloud, services: plan.services, tierServices: plan.tierServices });
  }
  const lost = composition.nowhere[env.name];
  if (lost) stack.node.addValidation({ validate: () => [...lost] });
  return stack;
}

/** Creates every selected stack of the composition (planStacks) in `app`. */
export function buildStacks(app: App, options: BuildOptions): PlatformStack[] {
  const plan = planStacks(options);
  return plan.stacks.map((s) => constructStack(app, s, plan));
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
export function serviceOf(stack: TerraformStack, node: IConstruct): string | undefined {
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

