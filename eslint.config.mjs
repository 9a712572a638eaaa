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
);
