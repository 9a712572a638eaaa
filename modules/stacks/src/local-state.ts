import { EnvironmentConfig } from "@polycloud/core";

/**
 * The same environments with local state files (`terraform.<stack>.tfstate`) instead of their
 * remote backends: `polycloud synth --local-state` (PLATFORM_LOCAL_STATE=1) for trying a deploy from
 * a laptop before any state bucket exists. The pipelines refuse stacks with local state
 * (`polycloud state check`).
 */
export function withLocalState(envs: readonly EnvironmentConfig[]): EnvironmentConfig[] {
  return envs.map((e) => ({
    ...e,
    clouds: Object.fromEntries(Object.entries(e.clouds).map(([cloud, spec]) => {
      if (!spec) return [cloud, spec];
      const { backend: _backend, ...rest } = spec as { backend?: unknown };
      return [cloud, rest];
    })) as EnvironmentConfig["clouds"],
  }));
}
