#!/usr/bin/env node
// Runs shell commands side by side and fails if any fails: `node scripts/parallel.mjs "tsc -b" "eslint ."`.
// Type-checking and linting use one core each; on 2-core machines this halves their wall time.
import { spawn } from "node:child_process";

const results = await Promise.all(process.argv.slice(2).map((cmd) => new Promise((resolve) => {
  const child = spawn(cmd, { shell: true, stdio: "inherit" });
  child.on("exit", (code, signal) => resolve({ cmd, code: code ?? (signal ? 1 : 0) }));
})));
const failed = results.filter((r) => r.code !== 0);
for (const f of failed) console.error(`failed (${f.code}): ${f.cmd}`);
process.exit(failed.length ? 1 : 0);
