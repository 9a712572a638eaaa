import { App, TerraformStack, Testing } from "cdktf";
import { TerraformJson } from "@polycloud/core";
import { buildStacks } from "@polycloud/stacks";
import { composition } from "./composition";

/** Every stack of the composition main.ts builds (stacks/composition.ts), as JSON. */
export function synthesizeApp(filter?: string): Record<string, TerraformJson> {
  const app = Testing.app() as App;
  const stacks: TerraformStack[] = buildStacks(app, { ...composition, filter });
  return Object.fromEntries(stacks.map((s) => [s.node.id, JSON.parse(Testing.synth(s)) as TerraformJson]));
}
