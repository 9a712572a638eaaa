import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App } from "cdktf";
import { Cloud, EnvironmentConfig, ServiceSpec } from "@polycloud/core";
import { buildStacks, synthAll } from "@polycloud/stacks";

/**
 * Synthesizes services for one environment and cloud into a fresh output folder, exactly as
 * `npm run synth` writes cdktf.out (the JSON and the function packages), and returns the stack folder.
 */
export function synthToDir(env: EnvironmentConfig, cloud: Cloud, services: ((env: EnvironmentConfig) => ServiceSpec)[], outdir = fs.mkdtempSync(path.join(os.tmpdir(), "polycloud-synth-"))): string {
  const app = new App({ outdir });
  buildStacks(app, { environments: [env], services: (e) => services.map((s) => s(e)), filter: `${env.name}-${cloud}` });
  synthAll(app);
  return path.join(outdir, "stacks", `${env.name}-${cloud}`);
}
