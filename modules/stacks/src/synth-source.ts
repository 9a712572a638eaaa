import { BuildOptions } from "./plan";

/**
 * Where a composition comes from: the options themselves (synthesized in this thread), or a
 * module and the exported function that returns them, which worker threads load on their own.
 */
export interface ModuleSource {
  /** A module file (compiled JavaScript when worker threads are to load it). */
  readonly module: string;
  /** The exported function that returns the composition. */
  readonly export: string;
  readonly args?: readonly unknown[];
}
export type CompositionSource = BuildOptions | ModuleSource;

export function isModuleSource(source: CompositionSource): source is ModuleSource {
  return typeof (source as { module?: unknown }).module === "string";
}

export function loadComposition(source: CompositionSource): BuildOptions {
  if (!isModuleSource(source)) return source;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const make = (require(source.module) as Record<string, unknown>)[source.export];
  if (typeof make !== "function") throw new Error(`${source.module}: export '${source.export}' is not a function returning the composition`);
  return (make as (...args: unknown[]) => BuildOptions)(...(source.args ?? []));
}
