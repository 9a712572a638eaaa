import * as fs from "node:fs";
import * as path from "node:path";
import { GENERATED_SECTIONS, GeneratedSection, readDocSection, writeDocSection } from "../../scripts/doc-section";
import { REPO_ROOT, anchors, docFiles, prose, slug } from "./markdown";

/** Markdown the links may start from: the README, docs/ and each package's README. */
function linkSources(): string[] {
  const pkgs = fs.readdirSync(path.join(REPO_ROOT, "modules")).map((m) => `modules/${m}/README.md`).filter((f) => fs.existsSync(path.join(REPO_ROOT, f)));
  return [...docFiles(), ...pkgs];
}

/** Relative links `[text](target)` of a markdown file, outside code. */
function relativeLinks(file: string): string[] {
  return [...prose(file).matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]).filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

/** Broken relative links of these files: a target file that does not exist, or a heading it lacks. */
function brokenLinks(files: readonly string[]): string[] {
  const broken: string[] = [];
  for (const file of files) {
    for (const target of relativeLinks(file)) {
      const [p, anchor] = target.split("#") as [string, string | undefined];
      const resolved = p ? path.posix.normalize(path.posix.join(path.posix.dirname(file), decodeURIComponent(p))) : file;
      // A package's CHANGELOG.md is written by changesets at its first release.
      if (/^modules\/[\w-]+\/CHANGELOG\.md$/.test(resolved) && file === `${path.posix.dirname(resolved)}/README.md`) continue;
      if (resolved.startsWith("..") || !fs.existsSync(path.join(REPO_ROOT, resolved))) {
        broken.push(`${file}: ${target} (no ${resolved})`);
      } else if (anchor !== undefined && resolved.endsWith(".md") && !anchors(resolved).has(anchor)) {
        broken.push(`${file}: ${target} (no heading #${anchor} in ${resolved})`);
      }
    }
  }
  return broken;
}

test("every relative link in the README, docs/ and the package READMEs points to a file (and heading) that exists", () => {
  const files = linkSources();
  expect(brokenLinks(files)).toEqual([]);
  // The README links every docs page, so the checker has something to check.
  expect(files.flatMap(relativeLinks).length).toBeGreaterThan(docFiles().length);
});

test("the link checker catches a missing file and a missing heading, and ignores links in code", () => {
  const dir = fs.mkdtempSync(path.join(REPO_ROOT, "docs", ".links-"));
  const rel = path.relative(REPO_ROOT, dir);
  try {
    fs.writeFileSync(path.join(dir, "a.md"), "# Title\n\n## Known gaps\n\n[ok](#known-gaps) [bad](#nope) [gone](missing.md) [up](../../README.md#quick-start) [up2](../../README.md#no-such) `[code](ignored.md)`\n\n```md\n[fenced](ignored.md)\n```\n");
    expect(relativeLinks(`${rel}/a.md`)).toEqual(["#known-gaps", "#nope", "missing.md", "../../README.md#quick-start", "../../README.md#no-such"]);
    expect(brokenLinks([`${rel}/a.md`])).toEqual([
      `${rel}/a.md: #nope (no heading #nope in ${rel}/a.md)`,
      `${rel}/a.md: missing.md (no ${rel}/missing.md)`,
      `${rel}/a.md: ../../README.md#no-such (no heading #no-such in README.md)`,
    ]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  expect(slug('Policy and "nothing lost"')).toBe("policy-and-nothing-lost");
  expect(slug("Local parity: `npm run check`")).toBe("local-parity-npm-run-check");
});

test("every docs page is linked from the README", () => {
  const linked = new Set(relativeLinks("README.md").map((t) => t.split("#")[0]));
  expect(docFiles().filter((f) => f !== "README.md" && !linked.has(f))).toEqual([]);
});

test("generated sections live in the docs page their generator writes, once each, and nowhere else", () => {
  const found: Record<string, string[]> = {};
  for (const file of docFiles()) {
    for (const m of fs.readFileSync(path.join(REPO_ROOT, file), "utf8").matchAll(/<!-- ([\w-]+):start -->/g)) (found[m[1]] ??= []).push(file);
  }
  expect(found).toEqual(Object.fromEntries(Object.entries(GENERATED_SECTIONS).map(([name, file]) => [name, [file]])));
});

test("each generator's writer replaces its own section of its docs page and nothing else", () => {
  const root = fs.mkdtempSync(path.join(REPO_ROOT, ".docs-sections-"));
  const log = jest.spyOn(console, "log").mockImplementation(() => undefined);
  try {
    fs.mkdirSync(path.join(root, "docs"));
    for (const file of new Set(Object.values(GENERATED_SECTIONS))) fs.copyFileSync(path.join(REPO_ROOT, file), path.join(root, file));
    for (const name of Object.keys(GENERATED_SECTIONS) as GeneratedSection[]) {
      const file = path.join(root, GENERATED_SECTIONS[name]);
      const before = fs.readFileSync(file, "utf8");
      const old = readDocSection(name, root);
      writeDocSection(name, `new ${name} text`, root);
      expect(readDocSection(name, root)).toBe(`new ${name} text`);
      expect(fs.readFileSync(file, "utf8")).toBe(before.replace(old, `new ${name} text`));
    }
    fs.writeFileSync(path.join(root, "docs", "policy.md"), "# no markers\n");
    expect(() => writeDocSection("policy", "x", root)).toThrow("docs/policy.md has no <!-- policy:start --> … <!-- policy:end --> markers");
    expect(() => readDocSection("policy", root)).toThrow("docs/policy.md has no <!-- policy:start -->");
    expect(log).toHaveBeenCalledWith("docs/performance.md: bench section updated");
  } finally {
    log.mockRestore();
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("the README stays a newcomer's page: short, with the per-topic material in docs/", () => {
  const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
  // It was 112 KB; per-topic material belongs in docs/ (linked from "Where to go next").
  expect(readme.length).toBeLessThan(20_000);
  const headings = [...prose("README.md").matchAll(/^## (.+)$/gm)].map((m) => m[1]);
  expect(headings).toEqual(expect.arrayContaining(["Quick start", "Describing a service", "Deploying", "Known gaps", "Where to go next"]));
});
