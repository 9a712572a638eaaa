import { synthesizeAll } from "./sample-json";
import { SynthJson } from "./synth";

let cache: Record<string, SynthJson> | undefined;

/** Every stack of the reference composition, synthesized once per jest file and shared. */
export function allStacks(): Record<string, SynthJson> {
  cache ??= synthesizeAll() as Record<string, SynthJson>;
  return cache;
}
