import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { npmrcFor } from "../../scripts/registry/npmrc";
import { scopedRegistryEnv } from "../../scripts/registry/publish";
import { htpasswdLine, verdaccioConfig } from "../../scripts/registry/verdaccio";
import { isolatedNpmEnv, nextPatch } from "../../scripts/registry/workspace-packages";

/** The registry configuration helpers, without starting a registry. */
test(".npmrc for a registry: scope mapping plus a token that stays an environment reference", () => {
  expect(npmrcFor("https://npm.pkg.github.com", ["@polycloud"])).toBe("@polycloud:registry=https://npm.pkg.github.com/\n//npm.pkg.github.com/:_authToken=${NODE_AUTH_TOKEN}\n");
  expect(npmrcFor("https://art.example.com/artifactory/api/npm/npm-local/", ["@a", "@b"], "${NPM_TOKEN}")).toBe(
    "@a:registry=https://art.example.com/artifactory/api/npm/npm-local/\n@b:registry=https://art.example.com/artifactory/api/npm/npm-local/\n//art.example.com/artifactory/api/npm/npm-local/:_authToken=${NPM_TOKEN}\n",
  );
  expect(npmrcFor("http://127.0.0.1:4873/", ["@polycloud"], "t0k")).toContain("//127.0.0.1:4873/:_authToken=t0k");
  expect(() => npmrcFor("http://npm.example.com/", ["@polycloud"])).toThrow(/use https/);
});

test("release refuses to publish when the scope is not mapped to a registry", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "npmrc-"));
  try {
    const empty = path.join(dir, "empty.npmrc");
    fs.writeFileSync(empty, "");
    expect(() => scopedRegistryEnv(["@polycloud"], isolatedNpmEnv(empty))).toThrow(/no registry configured for @polycloud/);
    const mapped = path.join(dir, "mapped.npmrc");
    fs.writeFileSync(mapped, npmrcFor("https://npm.example.internal/", ["@polycloud"]));
    expect(scopedRegistryEnv(["@polycloud"], isolatedNpmEnv(mapped))).toEqual({ "npm_config_@polycloud:registry": "https://npm.example.internal/" });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("Verdaccio config: private scopes are never proxied, everything else is, and the user is in htpasswd", () => {
  const config = verdaccioConfig("/tmp/x", { uplink: "https://registry.example/", privateScopes: ["@polycloud"] }) as any;
  expect(config.packages["@polycloud/*"]).toEqual({ access: "$authenticated", publish: "$authenticated", unpublish: "$authenticated" });
  expect(config.packages["**"].proxy).toBe("upstream");
  expect(config.uplinks.upstream.url).toBe("https://registry.example/");
  expect(config.auth.htpasswd.max_users).toBe(-1);
  expect(htpasswdLine("ci", "pw")).toBe(`ci:{SHA}${createHash("sha1").update("pw").digest("base64")}`);
});

test("a child npm does not inherit the outer npm's configuration", () => {
  const previous = process.env.npm_config_registry;
  process.env.npm_config_registry = "https://outer.example/";
  try {
    const env = isolatedNpmEnv("/tmp/child.npmrc");
    expect(env.npm_config_registry).toBeUndefined();
    expect(env.npm_config_userconfig).toBe("/tmp/child.npmrc");
  } finally {
    if (previous === undefined) delete process.env.npm_config_registry;
    else process.env.npm_config_registry = previous;
  }
  expect(nextPatch("0.1.0")).toBe("0.1.1");
  expect(nextPatch("1.2.9-rc.1")).toBe("1.2.10");
});
