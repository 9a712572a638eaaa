import * as fs from "node:fs";
import * as path from "node:path";

/**
 * A project's polycloud settings: the `polycloud` field of its package.json. Every setting is
 * optional; the defaults fit the layout `polycloud init` creates.
 */
export interface ProjectConfig {
  /**
   * Files and folders a synthesis reads, relative to the project (the sources stamp hashes them).
   * @default DEFAULT_SOURCES (cdktf.json, main.ts, stacks, environments, package-lock.json), plus
   * the function and migration folders the composition names
   */
  readonly sources?: readonly string[];
  /** Accepted policy findings. @default "policy/suppressions.json" */
  readonly suppressions?: string;
  /** Reviewed stateful destroys and replacements. @default "policy/destroy-allowlist.json" */
  readonly destroyAllowList?: string;
  /** The reviewed snapshot of stateful resource addresses per stack. @default "policy/stateful-addresses.json" */
  readonly statefulAddresses?: string;
  /**
   * Which changed paths affect which stacks (`polycloud stacks --base`). Paths are relative to the
   * project, `/`-separated; patterns are regular expressions.
   */
  readonly affected?: {
    /** Paths that never change infrastructure (documentation, tests, tooling). @default docs, tests, .github, Markdown at the top level */
    readonly ignore?: readonly string[];
    /** Path prefix → the one cloud whose stacks it affects (e.g. `{ "modules/aws/": "aws" }`). @default none */
    readonly clouds?: Readonly<Record<string, string>>;
    /** The folder of the environment files (`<dir>/<env>.ts` affects that environment's stacks). @default "environments" */
    readonly environments?: string;
  };
}

export const PROJECT_CONFIG_FIELD = "polycloud";

/** The `polycloud` field of `<root>/package.json` (empty when there is none). */
export function projectConfig(root = process.cwd()): ProjectConfig {
  const file = path.join(root, "package.json");
  if (!fs.existsSync(file)) return {};
  const value = (JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>)[PROJECT_CONFIG_FIELD];
  if (value === undefined) return {};
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new Error(`${file}: property '${PROJECT_CONFIG_FIELD}' has value ${JSON.stringify(value)}; allowed: an object (docs/cli.md, "Project settings")`);
  }
  return value as ProjectConfig;
}
