import { environments } from "../environments";
import { BuildOptions } from "../stacks/plan";
import { scaleServices } from "../stacks/scale-services";

/**
 * The benchmark's scaled composition: every environment × cloud with `count` small services
 * (stacks/scale-services.ts), partitioned per service or not. `changed` names a service that gets
 * another function memory size in every environment (one changed service).
 */
export function benchComposition(count: number, partition = false, changed?: string): BuildOptions {
  return {
    environments: environments.map((e) => (partition ? { ...e, partitioning: "service" as const } : e)),
    services: (env) => scaleServices(env, count).map((s) => (s.name !== changed ? s : {
      ...s, functions: Object.fromEntries(Object.entries(s.functions ?? {}).map(([id, f]) => [id, { ...f, memoryMb: f.memoryMb === 512 ? 1024 : 512 }])),
    })),
    filter: process.env.PLATFORM_STACKS,
  };
}
