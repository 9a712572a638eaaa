import * as fs from "node:fs";
import * as path from "node:path";
import { EmulatedStack } from "@polycloud/core";

export type Cloud = "aws" | "gcp" | "azure";

/** Reads `<stackDir>/cdk.tf.json` as synthesized (the runner never reads the service description). */
export function readStack(stackDir: string): EmulatedStack {
  const file = path.join(stackDir, "cdk.tf.json");
  if (!fs.existsSync(file)) throw new Error(`runner: ${file} does not exist; synthesize the stack first (npm run synth)`);
  return { name: path.basename(stackDir), dir: path.resolve(stackDir), json: JSON.parse(fs.readFileSync(file, "utf8")) };
}

/** The cloud a stack targets, from its provider block. */
export function cloudOf(stack: EmulatedStack): Cloud {
  const providers = Object.keys(stack.json.provider ?? {});
  if (providers.includes("aws")) return "aws";
  if (providers.includes("google") || providers.includes("google-beta")) return "gcp";
  if (providers.includes("azurerm")) return "azure";
  throw new Error(`runner: stack ${stack.name} configures none of the aws, google, azurerm providers (${providers.join(", ") || "none"})`);
}
