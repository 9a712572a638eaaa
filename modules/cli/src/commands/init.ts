import * as path from "node:path";
import { CreateError, createProject, nextSteps } from "@polycloud/create";
import { CliContext, CliError, EXIT } from "../context";

/** `polycloud init [<dir>]`: the starter of `npm init @polycloud`, from the installed CLI. */
export interface InitOptions {
  readonly name?: string;
  /** Comma-separated. */
  readonly clouds?: string;
  readonly registry?: string;
  readonly force?: boolean;
}

export async function initCommand(ctx: CliContext, dir: string, opts: InitOptions = {}): Promise<number> {
  const target = path.resolve(ctx.cwd, dir);
  try {
    const files = createProject(target, {
      name: opts.name, registry: opts.registry, force: opts.force, env: ctx.env,
      clouds: opts.clouds?.split(",").map((s) => s.trim()).filter(Boolean),
    });
    ctx.out(files.map((f) => `  ${f}`).join("\n") + "\n" + nextSteps(path.relative(ctx.cwd, target) || ".", opts.registry));
    return EXIT.OK;
  } catch (e) {
    if (e instanceof CreateError) throw new CliError(e.message);
    throw e;
  }
}
