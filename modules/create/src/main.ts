import { parseArgs } from "node:util";
import { CreateError, createProject, nextSteps } from "./create";

const USAGE = `usage: npm init @polycloud [<dir>] -- [--name <name>] [--clouds aws,gcp,azure] [--registry <url>] [--force]
       (or: polycloud init [<dir>] with the same options)

Creates a project on the published polycloud packages: package.json, cdktf.json, tsconfig.json,
environments/, stacks/composition.ts with an example service and its function, a CI workflow
that runs \`polycloud check\`, and the .npmrc lines of the scope.

Exit codes: 0 created, 2 bad options or a folder that is not empty.
`;

/**
 * `create-polycloud [<dir>] [--name] [--clouds] [--registry] [--force]`; returns the exit code.
 * Arguments are parsed with Node's own parseArgs, so the starter has no dependency to install.
 */
export function main(argv: readonly string[], out: (t: string) => unknown = (t) => process.stdout.write(t), err: (t: string) => unknown = (t) => process.stderr.write(t)): number {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    err(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out(USAGE);
    return 0;
  }
  if (positionals.length > 1) {
    err(`one folder, not ${positionals.length}\n${USAGE}`);
    return 2;
  }
  const dir = positionals[0] ?? ".";
  const opts = { name: values.name, clouds: values.clouds?.split(",").map((s) => s.trim()).filter(Boolean), registry: values.registry, force: values.force };
  try {
    const files = createProject(dir, opts);
    out(files.map((f) => `  ${f}`).join("\n") + "\n" + nextSteps(dir, opts.registry));
    return 0;
  } catch (e) {
    if (!(e instanceof CreateError)) throw e;
    err(`${e.message}\n`);
    return 2;
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      name: { type: "string" },
      clouds: { type: "string" },
      registry: { type: "string" },
      force: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}
