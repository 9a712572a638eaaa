import { withLocalState } from "./local-state";
import type { BuildOptions } from "./plan";

/**
 * A composition in a module of the project (`{ module: require.resolve("./stacks/composition"),
 * export: "composition" }`): the export is the composition, or a function returning it. Given this
 * way, runApp can build large compositions in worker threads, each loading the module itself
 * (functions cannot cross threads). The module must be compiled JavaScript for that.
 */
export interface CompositionModule {
  readonly module: string;
  readonly export: string;
}

/**
 * The composition runApp synthesizes: from a module or as given, with the remote backends dropped
 * when `localState`, and the stack filter (`""`: every stack). synthesize.ts's worker threads call
 * it by name (a ModuleSource), so every thread resolves the same composition.
 */
export function resolvedComposition(composition: Omit<BuildOptions, "filter"> | CompositionModule, localState: boolean, filter: string): BuildOptions {
  let options: Omit<BuildOptions, "filter">;
  if (typeof (composition as { module?: unknown }).module === "string") {
    const { module, export: name } = composition as CompositionModule;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const value = (require(module) as Record<string, unknown>)[name];
    const made = typeof value === "function" ? (value as () => unknown)() : value;
    if (!made || typeof made !== "object" || !Array.isArray((made as { environments?: unknown }).environments)) {
      throw new Error(`${module}: export '${name}' is not the composition (an object with 'environments', or a function returning one)`);
    }
    options = made as Omit<BuildOptions, "filter">;
  } else {
    options = composition as Omit<BuildOptions, "filter">;
  }
  const environments = localState ? withLocalState(options.environments) : options.environments;
  return { ...options, environments, filter: filter || undefined };
}
