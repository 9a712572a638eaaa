import { environments } from "../environments";
import { BuildOptions } from "@polycloud/stacks";
import { scaleServices } from "../stacks/scale-services";

/**
 * The benchmark's scaled composition: every environment × cloud with `count` small services
 * (stacks/scale-services.ts), partitioned per service or not. `changed` names a service that gets
 * another function memory size in every environment (one changed service); `broken` names services
 * whose functions get an invalid timeout (a composition that fails validation, for tests).
 */
export function benchComposition(count: number, partition = false, changed?: string, broken: readonly string[] = []): BuildOptions {
  const each = (s: ReturnType<typeof scaleServices>[number], f: (fn: NonNullable<typeof s.functions>[string]) => object) =>
    ({ ...s, functions: Object.fromEntries(Object.entries(s.functions ?? {}).map(([id, fn]) => [id, { ...fn, ...f(fn) }])) });
  return {
    environments: environments.map((e) => (partition ? { ...e, partitioning: "service" as const } : e)),
    services: (env) => scaleServices(env, count).map((s) => (s.name === changed ? each(s, (f) => ({ memoryMb: f.memoryMb === 512 ? 1024 : 512 })) : s))
      .map((s) => (broken.includes(s.name) ? each(s, () => ({ timeoutSeconds: -1 })) : s)),
    filter: process.env.PLATFORM_STACKS,
  };
}
