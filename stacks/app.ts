import { AnnotationMetadataEntryType, App, TerraformStack } from "cdktf";
import { PlatformStack } from "./platform-stack";
import { BuildOptions, CompositionPlan, StackPlan, SynthValidationError, group, planStacks } from "./plan";
import { removeStamp, writeStamp } from "./sources-stamp";

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
    stack = new PlatformStack(app, plan.id, { env, cloud, services: plan.services });
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
 * Validates every stack before writing anything, so one run lists the problems of all stacks,
 * each once with the stacks it affects, then synthesizes. cdktf alone would stop at the first
 * stack that fails and repeat a shared mistake in every stack. A failed validation removes the
 * sources stamp of the output directory, so policy and plan scripts refuse the previous output.
 * Returns the warnings, grouped and deduplicated the same way.
 */
export function synthAll(app: App): { message: string; stacks: string[] }[] {
  removeStamp(app.outdir);
  const problems: { stack: string; message: string }[] = [];
  for (const stack of stacksOf(app)) {
    for (const node of stack.node.findAll()) {
      for (const message of node.node.validate()) problems.push({ stack: stack.node.id, message });
    }
  }
  if (problems.length) throw new SynthValidationError(group(problems));
  app.synth();
  writeStamp(app.outdir);
  const warnings: { stack: string; message: string }[] = [];
  for (const stack of stacksOf(app)) {
    for (const node of stack.node.findAll()) {
      for (const entry of node.node.metadata) {
        if (entry.type === AnnotationMetadataEntryType.WARN) warnings.push({ stack: stack.node.id, message: String(entry.data) });
      }
    }
  }
  return group(warnings);
}

