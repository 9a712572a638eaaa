import { App, TerraformStack } from "cdktf";
import { CLOUDS, Cloud, EnvironmentConfig, ServiceSpec } from "@polycloud/core";
import { PlatformStack } from "./platform-stack";

export interface BuildOptions {
  readonly environments: readonly EnvironmentConfig[];
  readonly service: (env: EnvironmentConfig) => ServiceSpec;
  /** Comma-separated stack names, `*` allowed (e.g. `dev-*,prod-aws`). @default every stack */
  readonly filter?: string;
}

/** Creates one PlatformStack per environment × enabled cloud, named `<env>-<cloud>`. */
export function buildStacks(app: App, options: BuildOptions): PlatformStack[] {
  const patterns = (options.filter ?? "").split(",").map((s) => s.trim()).filter(Boolean)
    .map((p) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`));
  const stacks: PlatformStack[] = [];
  const names: string[] = [];
  for (const env of options.environments) {
    for (const cloud of Object.keys(env.clouds ?? {})) {
      const id = `${env.name}-${cloud}`;
      names.push(id);
      if (patterns.length && !patterns.some((re) => re.test(id))) continue;
      stacks.push(new PlatformStack(app, id, { env, cloud: cloud as Cloud, service: options.service(env) }));
    }
  }
  if (patterns.length && stacks.length === 0) {
    throw new Error(`PLATFORM_STACKS: property 'filter' has value ${JSON.stringify(options.filter)}; allowed: patterns matching at least one of ${names.join(", ")} (clouds: ${CLOUDS.join(", ")})`);
  }
  return stacks;
}

/**
 * Validates every stack before writing anything, so one run lists the problems of all stacks,
 * then synthesizes. cdktf alone would stop at the first stack that fails.
 */
export function synthAll(app: App): void {
  const failures: string[] = [];
  for (const stack of app.node.children.filter((c): c is TerraformStack => TerraformStack.isStack(c))) {
    try {
      stack.runAllValidations();
    } catch (e) {
      failures.push(`Stack ${stack.node.id}:\n  ${(e as Error).message.replace(/^Validation failed with the following errors:\n\s*/, "")}`);
    }
  }
  if (failures.length) throw new Error(`Validation failed:\n${failures.join("\n")}`);
  app.synth();
}
