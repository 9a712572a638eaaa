import { CliContext, CliError } from "../context";
import { ProjectOptions } from "../project";

/**
 * `polycloud dev --cloud <aws|gcp|azure> [--env dev] [--stack <name>]`: the local runner on one
 * synthesized stack, with live reload of the function folders.
 */
export interface DevOptions extends ProjectOptions {
  readonly cloud: string;
  readonly env?: string;
  readonly stack?: string;
}

export async function devCommand(_ctx: CliContext, _opts: DevOptions): Promise<number> {
  throw new CliError("dev is not available in this version: the local runner (@polycloud/runner) is not part of this release yet (docs/cli.md, \"dev\")");
}
