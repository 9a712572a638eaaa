import { withLocalState } from "../environments";
import { composition } from "./composition";
import { BuildOptions } from "./plan";

/**
 * What main.ts synthesizes: stacks/composition.ts, with the environment variables applied.
 * PLATFORM_STACKS filters the stacks, e.g. "dev-*" or "prod-aws"; PLATFORM_LOCAL_STATE=1 replaces
 * the remote state backends with local state files (a laptop only). A module of its own, so the
 * synthesis worker threads load the same composition.
 */
export function appComposition(): BuildOptions {
  const environments = process.env.PLATFORM_LOCAL_STATE === "1" ? withLocalState(composition.environments) : composition.environments;
  return { ...composition, environments, filter: process.env.PLATFORM_STACKS };
}
