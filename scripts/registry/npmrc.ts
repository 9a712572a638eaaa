import { npmrcFor } from "@polycloud/create";
import { scopesOf, workspacePackages } from "./workspace-packages";

/**
 * The `.npmrc` lines of this repository's scopes (npmrcFor, in @polycloud/create: the starter
 * writes the same lines into a new project). The release workflow and the registry test configure
 * publishing with them.
 */
export { npmrcFor };

/** `npm run --silent registry:npmrc -- <registry-url>` prints the lines for this repository's scopes. */
if (require.main === module) {
  const url = process.argv[2];
  if (!url) {
    process.stderr.write("usage: npm run --silent registry:npmrc -- <registry-url>\n");
    process.exit(2);
  }
  try {
    process.stdout.write(npmrcFor(url, scopesOf(workspacePackages())));
  } catch (e) {
    process.stderr.write(`registry:npmrc: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
