import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { STARTER_CLOUDS, StarterCloud, StarterOptions, starterFiles, starterPackages } from "./template";

/** This package's scope (`@polycloud/create` → `@polycloud`): the scope of the packages it starts a project on. */
export function ownScope(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const name = (require("../package.json") as { name: string }).name;
  return name.split("/")[0];
}

export interface CreateOptions {
  /** @default the folder's name */
  readonly name?: string;
  /** @default ["aws"] */
  readonly clouds?: readonly string[];
  readonly registry?: string;
  /** Write into a folder that already has files. */
  readonly force?: boolean;
  /** Versions of the scope's packages; @default the newest each registry has (`npm view`). */
  readonly versions?: Readonly<Record<string, string>>;
  readonly scope?: string;
  /** Environment of the `npm view` calls. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/** A problem with the options or the folder: reported as one line, exit 2. */
export class CreateError extends Error {}

/** An npm package name: lower case, URL-safe, at most 214 characters. */
const PACKAGE_NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

/** The newest version of each package the registry configured for its scope has (run in the new project, so its .npmrc applies). */
export function registryVersions(dir: string, names: readonly string[], env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    try {
      out[name] = execFileSync("npm", ["view", name, "version"], { cwd: dir, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new CreateError(`npm view ${name} failed: ${(err.stderr ?? err.message).trim().split("\n").slice(-3).join(" / ")} (is the ${name.split("/")[0]} scope mapped to your registry? pass --registry <url>, or add it to ~/.npmrc)`);
    }
    if (!/^\d+\.\d+\.\d+/.test(out[name])) throw new CreateError(`npm view ${name} answered '${out[name]}', not a version`);
  }
  return out;
}

/** Writes a new project into `dir` and returns the files written (relative paths). */
export function createProject(dir: string, opts: CreateOptions = {}): string[] {
  const root = path.resolve(dir);
  const name = opts.name ?? path.basename(root).toLowerCase().replace(/[^a-z0-9-._~]/g, "-");
  if (!PACKAGE_NAME.test(name) || name.length > 214) throw new CreateError(`--name '${name}': allowed: an npm package name (lower-case letters, digits, - . _ ~)`);
  const clouds = [...new Set(opts.clouds ?? ["aws"])];
  for (const c of clouds) if (!(STARTER_CLOUDS as readonly string[]).includes(c)) throw new CreateError(`--clouds: '${c}' is not one of ${STARTER_CLOUDS.join(", ")}`);
  if (!clouds.length) throw new CreateError(`--clouds: at least one of ${STARTER_CLOUDS.join(", ")}`);
  if (fs.existsSync(root) && fs.readdirSync(root).filter((f) => f !== ".git").length && !opts.force) {
    throw new CreateError(`${root} is not empty (use --force to write into it; existing files with the starter's names are replaced)`);
  }
  const scope = opts.scope ?? ownScope();
  const base: Omit<StarterOptions, "versions"> = { name, clouds: clouds as StarterCloud[], scope, registry: opts.registry };
  fs.mkdirSync(root, { recursive: true });
  // .npmrc first: the version look-up below goes through the registry it names.
  let npmrc: string;
  try {
    npmrc = starterFiles({ ...base, versions: new Proxy({}, { get: () => "0.0.0" }) })[".npmrc"];
  } catch (e) {
    throw new CreateError((e as Error).message);
  }
  fs.writeFileSync(path.join(root, ".npmrc"), npmrc);
  const { dependencies, devDependencies } = starterPackages(base.clouds);
  const versions = opts.versions ?? registryVersions(root, [...dependencies, ...devDependencies].map((p) => `${scope}/${p}`), opts.env);
  const files = starterFiles({ ...base, versions });
  for (const [rel, text] of Object.entries(files)) {
    const file = path.join(root, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  return Object.keys(files).sort();
}

/** Next steps, printed after the files are written. */
export function nextSteps(dir: string, registry?: string): string {
  return [
    "",
    `Created a polycloud project in ${dir}. Next:`,
    `  cd ${dir}`,
    ...(registry ? [] : ["  # map the scope to your registry in .npmrc (see the comments there)"]),
    "  npm install",
    "  npx polycloud check",
    "",
  ].join("\n");
}
