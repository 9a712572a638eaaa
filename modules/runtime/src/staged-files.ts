import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { Cloud } from "./types";

/** The Functions Framework version a GCP package depends on. */
export const FUNCTIONS_FRAMEWORK = "5.0.5";
export const HOST_JSON = {
  version: "2.0",
  extensionBundle: { id: "Microsoft.Azure.Functions.ExtensionBundle", version: "[4.*, 5.0.0)" },
  // API Management forwards to https://<app>/api (AzureHttpGateway's backend); the runtime hands
  // the handler the path below the prefix, as on the other clouds.
  extensions: { http: { routePrefix: "api" } },
  logging: { applicationInsights: { samplingSettings: { isEnabled: true, excludedTypes: "Request" } } },
};

/**
 * The files a cloud needs beside the code: package.json (GCP: with the Functions Framework the
 * build installs) and, on Azure, host.json.
 */
export function cloudPackageFiles(cloud: Cloud, name: string, main: string): Record<string, string> {
  const pkg = cloud === "gcp"
    ? { name, private: true, main, dependencies: { "@google-cloud/functions-framework": FUNCTIONS_FRAMEWORK } }
    : { name, private: true, main };
  return {
    "package.json": `${JSON.stringify(pkg, null, 2)}\n`,
    ...(cloud === "azure" ? { "host.json": `${JSON.stringify(HOST_JSON, null, 2)}\n` } : {}),
  };
}

/** The name of a staged folder: a hash over its files' paths and contents. */
export function contentName(files: Record<string, string>): string {
  const hash = createHash("sha256");
  for (const rel of Object.keys(files).sort()) hash.update(rel).update("\0").update(files[rel]).update("\0");
  return hash.digest("hex").slice(0, 32);
}

/**
 * Writes `files` to the folder `out` through a temporary sibling renamed into place, so a reader
 * never sees a half-written folder; when another process renamed its copy first, that one stays.
 */
export function writeStagedFolder(out: string, files: Record<string, string>): void {
  const tmp = `${out}.${process.pid}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(tmp, rel)), { recursive: true });
    fs.writeFileSync(path.join(tmp, rel), text);
  }
  try { fs.renameSync(tmp, out); } catch { fs.rmSync(tmp, { recursive: true, force: true }); } // another process won
}
