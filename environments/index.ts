import { EnvironmentConfig } from "@polycloud/core";
import { dev } from "./dev";
import { prod } from "./prod";
import { staging } from "./staging";

export { dev, staging, prod };
export const environments: readonly EnvironmentConfig[] = [dev, staging, prod];

/**
 * The same environments with local state files (`terraform.<stack>.tfstate`) instead of their
 * remote backends: `PLATFORM_LOCAL_STATE=1` (main.ts) for trying a deploy from a laptop before any
 * state bucket exists. The pipelines refuse stacks with local state (`npm run state:check`).
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
