import { App, TerraformStack } from "cdktf";
import { CLOUDS, Cloud, EnvironmentConfig, ServiceSpec } from "@polycloud/core";
import { PlatformStack } from "./platform-stack";

export interface BuildOptions {
  readonly environments: readonly EnvironmentConfig[];
  /** The service each environment renders. */
  readonly service?: (env: EnvironmentConfig) => ServiceSpec;
  /** Several services per environment (instead of `service`). */
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
    for (const key of Object.keys(env.clouds ?? {})) {
      const cloud = key as Cloud;
      if (env.partitioning === "service") {
        const sharedId = `${env.name}-${cloud}-shared`;
        const ids = services.map((s) => `${env.name}-${cloud}-${s.name}`);
        names.push(sharedId, ...ids);
        const selected = services.filter((_, i) => wanted(ids[i]));
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
        stacks.push(options.services
          ? new PlatformStack(app, id, { env, cloud, services })
          : new PlatformStack(app, id, { env, cloud, service: services[0] }));
      }
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
