import * as fs from "node:fs";
import * as path from "node:path";
import { TypeArguments, bindingFolders, typeArguments } from "./binding-arguments";

/**
 * Writes the argument snapshot of the oldest AWS provider the modules support
 * (`__tests__/terraform/fixtures/aws-provider-lower-bound.json`), read from that version's prebuilt
 * bindings, for every Terraform type `modules/aws` imports (and the provider block). Also records
 * which of those arguments the release just below lacks, so a test can show the bound is tight.
 *
 *   npm pack @cdktf/provider-aws@<lower> @cdktf/provider-aws@<below>   (in a scratch folder)
 *   tar -xzf cdktf-provider-aws-<lower>.tgz -C lower; tar -xzf cdktf-provider-aws-<below>.tgz -C below
 *   node dist/scripts/terraform/aws-lower-bound.js lower/package below/package
 *
 * Nothing of the packages is kept but these argument names.
 */
export interface ProviderArgumentsSnapshot {
  readonly provider: string;
  readonly version: string;
  readonly bindings: string;
  readonly below: { readonly version: string; readonly bindings: string; readonly missing: Record<string, string[]> };
  readonly types: Record<string, TypeArguments>;
}

/** The repository root, from the source (scripts/terraform) or the compiled copy (dist/scripts/terraform). */
const REPO = path.basename(path.resolve(__dirname, "..", "..")) === "dist" ? path.resolve(__dirname, "..", "..", "..") : path.resolve(__dirname, "..", "..");

/** Terraform types (and `aws` for the provider block) of every `@cdktf/provider-aws/lib/<folder>` that modules/aws imports. */
export function awsTypesUsed(repo: string, packageDir: string): string[] {
  const src = path.join(repo, "modules", "aws", "src");
  const folders = new Set<string>();
  for (const f of fs.readdirSync(src).filter((x) => x.endsWith(".ts"))) {
    for (const m of fs.readFileSync(path.join(src, f), "utf8").matchAll(/"@cdktf\/provider-aws\/lib\/([a-z0-9-]+)"/g)) folders.add(m[1]);
  }
  const byFolder = new Map([...bindingFolders(packageDir)].map(([type, file]) => [path.basename(path.dirname(file)), type]));
  return [...folders].map((f) => byFolder.get(f) ?? `unknown:${f}`).sort();
}

function manifest(dir: string): { version: string; provider: string; providerVersion: string } {
  const m = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
  return { version: m.version, provider: m.cdktf.provider.name, providerVersion: m.cdktf.provider.version };
}

export function snapshot(repo: string, lowerDir: string, belowDir: string): ProviderArgumentsSnapshot {
  const lower = manifest(lowerDir);
  const below = manifest(belowDir);
  const types: Record<string, TypeArguments> = {};
  const lowerFolders = bindingFolders(lowerDir);
  const belowFolders = bindingFolders(belowDir);
  const missing: Record<string, string[]> = {};
  for (const type of awsTypesUsed(repo, lowerDir)) {
    const args = typeArguments(lowerDir, type, lowerFolders);
    if (!args) throw new Error(`${type}: not in ${lower.version}`);
    types[type] = args;
    const prev = typeArguments(belowDir, type, belowFolders);
    const known = new Set([...(prev?.attributes ?? []), ...(prev?.blocks ?? [])]);
    const lacking = [...args.attributes, ...args.blocks].filter((a) => !known.has(a));
    if (lacking.length) missing[type] = lacking;
  }
  return {
    provider: lower.provider, version: lower.providerVersion, bindings: `@cdktf/provider-aws@${lower.version}`,
    below: { version: below.providerVersion, bindings: `@cdktf/provider-aws@${below.version}`, missing },
    types,
  };
}

if (require.main === module) {
  const [lowerDir, belowDir] = process.argv.slice(2);
  if (!lowerDir || !belowDir) {
    console.error("usage: aws-lower-bound <lower bound package dir> <release below it package dir>");
    process.exit(2);
  }
  const out = path.join(REPO, "__tests__", "terraform", "fixtures", "aws-provider-lower-bound.json");
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify(snapshot(REPO, path.resolve(lowerDir), path.resolve(belowDir)), null, 1)}\n`);
  console.log(`wrote ${path.relative(REPO, out)}`);
}
