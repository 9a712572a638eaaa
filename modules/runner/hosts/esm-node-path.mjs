// The Lambda Node.js runtime (nodejs18.x and later) resolves ES module imports of bare specifiers
// from the NODE_PATH folders too (its bundled AWS SDK in /var/runtime/node_modules, layers in
// /opt/nodejs/node_modules); plain Node does not. This resolve hook does the same for the
// runner's Lambda host: a bare specifier not found from the importing file is looked up as if
// imported from each NODE_PATH folder.
import * as path from "node:path";
import { pathToFileURL } from "node:url";

export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (err) {
    if (err?.code !== "ERR_MODULE_NOT_FOUND" || /^(\.|\/|[a-z]+:)/.test(specifier)) throw err;
    for (const dir of (process.env.NODE_PATH ?? "").split(path.delimiter).filter(Boolean)) {
      try {
        return await next(specifier, { ...context, parentURL: pathToFileURL(path.join(dir, "..", "lambda-runtime.mjs")).href });
      } catch {
        // not in this folder
      }
    }
    throw err;
  }
}
