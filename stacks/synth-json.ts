import { App, TerraformStack, Testing } from "cdktf";
import { TerraformJson } from "@polycloud/core";
import { environments } from "../environments";
import { buildStacks } from "./app";
import { referenceService } from "./reference-service";

/** Every stack of the reference composition as JSON, in-process (no files written, no validation). */
export function synthesizeAll(filter?: string): Record<string, TerraformJson> {
  const app = Testing.app() as App;
  const stacks: TerraformStack[] = buildStacks(app, { environments, service: referenceService, filter });
  return Object.fromEntries(stacks.map((s) => [s.node.id, JSON.parse(Testing.synth(s)) as TerraformJson]));
}
