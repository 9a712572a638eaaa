import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { GITHUB_PACKAGES, NPMJS, ReleaseInputs, decideRelease, githubRepoOf, main, rootRepositoryUrl, setRepositoryUrl } from "../../scripts/registry/release-config";
import { workspacePackages } from "../../scripts/registry/workspace-packages";

/** What the release job may do with a registry: provenance, token fallback, scope check. */
const pkg = (name: string, access: "public" | "restricted") => ({ name, manifest: { name, version: "1.0.0", publishConfig: { access } } });
const base: ReleaseInputs = {
  registry: NPMJS,
  githubRepository: "Acme/platform",
  repositoryPrivate: false,
  repositoryUrl: "git+https://github.com/acme/platform.git",
  packages: [pkg("@acme/core", "public"), pkg("@acme/aws", "public")],
};

test("provenance: on for registry.npmjs.org with a public repository, public packages and this repository's URL", () => {
  expect(decideRelease(base)).toEqual({ provenance: true, notes: [], githubPackages: false, errors: [] });
});

test("provenance: off, with the reason, for a private repository, a restricted package, a foreign or placeholder URL, another registry", () => {
  expect(decideRelease({ ...base, repositoryPrivate: true }).notes).toEqual(["npm provenance needs a public repository"]);
  expect(decideRelease({ ...base, packages: [pkg("@acme/core", "restricted")] }).notes).toEqual(["npm provenance needs public packages; restricted: @acme/core"]);
  expect(decideRelease({ ...base, repositoryUrl: "git+https://example.invalid/polycloud.git" })).toMatchObject({ provenance: false, notes: [expect.stringMatching(/^repository\.url 'git\+https:\/\/example\.invalid\/polycloud\.git' is not https:\/\/github\.com\/Acme\/platform/)] });
  expect(decideRelease({ ...base, registry: "https://art.example.com/api/npm/npm-local" })).toMatchObject({ provenance: false, githubPackages: false, notes: ["https://art.example.com/api/npm/npm-local/ does not support npm provenance attestations"] });
});

test("the GitHub token is a fallback for GitHub Packages only, whose scope must be the owner", () => {
  expect(decideRelease({ ...base, registry: "https://npm.pkg.github.com" })).toMatchObject({ githubPackages: true, provenance: false, errors: [] });
  expect(decideRelease({ ...base, registry: GITHUB_PACKAGES, packages: [pkg("@polycloud/core", "restricted")] }).errors).toEqual([
    'GitHub Packages publishes a scope only under the organisation or user of that name: @polycloud is not @acme; rename the packages (see docs/publishing.md)',
  ]);
  expect(decideRelease({ ...base, registry: "https://npm.pkg.github.com.evil.example/" }).githubPackages).toBe(false);
  expect(decideRelease({ ...base, registry: "https://registry.npmjs.org/" }).githubPackages).toBe(false);
});

test("CLI: outputs for the workflow, NPM_CONFIG_PROVENANCE only when it works, exit 1 on a scope mismatch", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "release-config-"));
  try {
    const out = path.join(dir, "out");
    const env = path.join(dir, "env");
    // This repository: placeholder URL, so no provenance even on npmjs; GitHub Packages refuses the @polycloud scope for acme.
    const npmjs = main(["decide", NPMJS], { GITHUB_REPOSITORY: "acme/platform", REPOSITORY_PRIVATE: "false", GITHUB_OUTPUT: out, GITHUB_ENV: env });
    expect(npmjs.code).toBe(0);
    expect(npmjs.output).toMatch(/::notice::publishing without npm provenance: .*repository\.url/);
    expect(fs.readFileSync(out, "utf8")).toBe("provenance=false\ngithub-packages=false\n");
    expect(fs.existsSync(env)).toBe(false);
    const gh = main(["decide", GITHUB_PACKAGES], { GITHUB_REPOSITORY: "acme/platform", REPOSITORY_PRIVATE: "true" });
    expect(gh.code).toBe(1);
    expect(gh.output).toContain("::error::GitHub Packages publishes a scope only under the organisation or user of that name: @polycloud is not @acme");
    expect(main(["decide", GITHUB_PACKAGES], { GITHUB_REPOSITORY: "polycloud/platform" }).code).toBe(0);
    expect(main(["bogus"]).code).toBe(2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the repository URL is one value: setRepositoryUrl writes it to the root and every package, keeping each directory", () => {
  expect(githubRepoOf("git+https://github.com/Acme/Platform.git")).toBe("acme/platform");
  expect(githubRepoOf("git+https://gitlab.com/acme/platform.git")).toBeUndefined();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "repository-url-"));
  try {
    fs.writeFileSync(path.join(root, "package.json"), JSON.stringify({ name: "root", private: true, repository: { type: "git", url: rootRepositoryUrl() } }));
    for (const p of workspacePackages()) {
      const dir = path.join(root, "modules", path.basename(p.dir));
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(p.manifest));
    }
    setRepositoryUrl("git+https://github.com/acme/platform.git", root);
    expect(rootRepositoryUrl(root)).toBe("git+https://github.com/acme/platform.git");
    for (const p of workspacePackages(root)) expect(p.manifest.repository).toEqual({ type: "git", url: "git+https://github.com/acme/platform.git", directory: `modules/${path.basename(p.dir)}` });
    expect(() => setRepositoryUrl("https://github.com/acme/platform", root)).toThrow(/is not git\+https/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
