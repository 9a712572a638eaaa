import * as fs from "node:fs";
import * as path from "node:path";

/**
 * Every generated section of the documentation and the page it lives in. A generator writes its
 * section with `writeDocSection`; its drift test reads it back with `readDocSection`. The
 * docs test checks that these markers appear in these pages only, once each.
 */
export const GENERATED_SECTIONS = {
  parity: "docs/parity.md", // npm run parity (conformance table)
  deviations: "docs/parity.md", // npm run parity (behaviour deviations)
  "behaviour-attributes": "docs/parity.md", // npm run parity (attributes each behaviour field is read from)
  catalogue: "docs/validation.md", // npm run catalogue
  policy: "docs/policy.md", // npm run policy:table
  scanners: "docs/policy.md", // npm run policy:table (scanner coverage)
  "gitops-setup": "docs/gitops.md", // npm run gitops:setup -- --write-docs
  bench: "docs/performance.md", // npm run bench
  partition: "docs/performance.md", // npm run bench
  "runner-start": "docs/performance.md", // npm run bench:runner
} as const;

export type GeneratedSection = keyof typeof GENERATED_SECTIONS;

/** The repository root (this file is scripts/doc-section.ts, or dist/scripts/doc-section.js when built). */
function repoRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, "package.json")) || path.basename(dir) === "dist") dir = path.dirname(dir);
  return dir;
}

function markers(name: GeneratedSection): [string, string] {
  return [`<!-- ${name}:start -->`, `<!-- ${name}:end -->`];
}

/** The text between a section's markers in its page (trimmed); throws when the page lacks them. */
export function readDocSection(name: GeneratedSection, root = repoRoot()): string {
  const file = GENERATED_SECTIONS[name];
  const [start, end] = markers(name);
  const text = fs.readFileSync(path.join(root, file), "utf8");
  const body = text.split(start)[1]?.split(end);
  if (!body || body.length < 2) throw new Error(`${file} has no ${start} … ${end} markers`);
  return body[0].trim();
}

/** Replaces the text between `<!-- <name>:start -->` and `<!-- <name>:end -->` in the section's page. */
export function writeDocSection(name: GeneratedSection, content: string, root = repoRoot()): void {
  const file = GENERATED_SECTIONS[name];
  const [start, end] = markers(name);
  const full = path.join(root, file);
  const text = fs.readFileSync(full, "utf8");
  if (!text.includes(start) || !text.includes(end)) throw new Error(`${file} has no ${start} … ${end} markers`);
  fs.writeFileSync(full, text.replace(new RegExp(`${start}[\\s\\S]*?${end}`), () => `${start}\n${content}\n${end}`));
  console.log(`${file}: ${name} section updated`);
}
