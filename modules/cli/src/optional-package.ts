import { CliError } from "./context";

/**
 * A package a verb needs that the CLI does not depend on: a cloud package (its provider bindings
 * are hundreds of megabytes), the runtime or the local runner. The project has it when it uses it;
 * otherwise the verb says what to install.
 */
export function optionalPackage<T>(name: string, verb: string): T {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(name) as T;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "MODULE_NOT_FOUND" && String(err.message).includes(`'${name}'`)) {
      throw new CliError(`${verb} needs ${name}, which this project does not have: npm install ${name}`);
    }
    throw e;
  }
}
