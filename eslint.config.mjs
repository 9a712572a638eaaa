import tseslint from "typescript-eslint";

// Provider barrels cost 8–18 s and 1.4 GB per process; only deep imports (lib/<resource>) are allowed.
const barrelBan = {
  paths: ["@cdktf/provider-aws", "@cdktf/provider-google", "@cdktf/provider-google-beta", "@cdktf/provider-azurerm", "@cdktf/provider-time"].map((name) => ({
    name,
    message: `Import the resource from '${name}/lib/<resource>' instead of the barrel.`,
  })),
  patterns: [{ regex: "^@cdktf/provider-[a-z-]+/lib(/index(\\.js)?)?$", message: "Import a resource folder ('lib/<resource>'), not lib itself." }],
};

export default tseslint.config(
  { ignores: ["**/node_modules/**", ".docs-examples-*/**", ".docs-sections-*/**", "**/lib/**", "dist/**", "cdktf.out/**", ".bench-baseline/**", "**/*.js", "**/*.d.ts"] },
  {
    files: ["**/*.ts"],
    languageOptions: { parser: tseslint.parser },
    plugins: { "@typescript-eslint": tseslint.plugin },
    rules: {
      "no-restricted-imports": ["error", barrelBan],
      "@typescript-eslint/no-require-imports": "error",
    },
  },
  {
    files: ["modules/core/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ regex: "^(cdktf|@cdktf/.*)$", message: "modules/core is cloud-neutral: no provider or cdktf imports." }] }],
    },
  },
  {
    files: ["modules/runtime/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ regex: "^(cdktf|constructs|@cdktf/.*|@polycloud/(core|aws|gcp|azure))$", message: "modules/runtime is function code: no CDKTF, constructs or module imports." }] }],
    },
  },
  {
    // The composition layer loads the cloud packages an environment enables, never at import time
    // (cloud-packages.ts): a team that deploys to one cloud installs that cloud's bindings only.
    files: ["modules/stacks/**/*.ts"],
    rules: {
      "no-restricted-imports": "off",
      "@typescript-eslint/no-restricted-imports": ["error", {
        ...barrelBan,
        patterns: [
          ...barrelBan.patterns,
          { regex: "^@polycloud/(aws|gcp|azure)$", allowTypeImports: true, message: "Load a cloud package through cloudPackage() (cloud-packages.ts); import its types only." },
          { regex: "^@polycloud/(cli|create|runtime)$", message: "The composition layer sits below the CLI and does not run function code." },
        ],
      }],
    },
  },
  {
    // The CLI reads synthesized JSON: no cdktf, no provider bindings, no cloud package at import time
    // (a verb that needs one loads it with optionalPackage()).
    files: ["modules/cli/**/*.ts"],
    rules: {
      "no-restricted-imports": "off",
      "@typescript-eslint/no-restricted-imports": ["error", {
        patterns: [
          { regex: "^(cdktf|constructs|@cdktf/.*)$", message: "The CLI works on synthesized JSON; the app (cdktf.json) synthesizes." },
          { regex: "^@polycloud/(aws|gcp|azure|stacks|runtime)$", allowTypeImports: true, message: "Load it with optionalPackage() where a verb needs it; import its types only." },
        ],
      }],
    },
  },
  {
    // The starter installs nothing of its own: Node's standard library only.
    files: ["modules/create/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ regex: "^(?!node:|\\.)", message: "@polycloud/create uses Node's standard library only (npm init runs it before anything is installed)." }] }],
    },
  },
);
