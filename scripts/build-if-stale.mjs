#!/usr/bin/env node
// `node scripts/build-if-stale.mjs [dist/<entry>.js [args...]]`: runs `tsc -b` only when the
// compiled code does not match the sources (scripts/build-stamp.mjs), then runs the entry in this
// same process. The cdktf.json app and `npm run synth` use it: with nothing changed, a synth
// neither starts the compiler nor a second Node process. Without an entry it only builds (for
// `node scripts/build-if-stale.mjs && node dist/scripts/<script>.js`: scripts that check
// `require.main === module` must be started by node itself).
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { buildIfStale } from "./build-stamp.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const status = buildIfStale(root);
if (status !== 0) process.exit(status);
const [entry, ...args] = process.argv.slice(2);
if (entry) {
  const file = path.resolve(root, entry);
  process.argv = [process.argv[0], file, ...args];
  await import(pathToFileURL(file).href);
}
