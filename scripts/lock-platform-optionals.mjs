#!/usr/bin/env node
// The registry this project installs from serves only linux builds of packages such as
// @swc/core. `npm install` then leaves the darwin/win32 optional binaries out of
// package-lock.json, and `npm ci` rejects the lock as out of sync. This records each missing
// optional dependency (version, os, cpu; no tarball) so the lock is complete on every platform.
// Run after any `npm install` that changes the lock: node scripts/lock-platform-optionals.mjs
import { readFileSync, writeFileSync } from "node:fs";

const file = process.argv[2] ?? "package-lock.json";
const lock = JSON.parse(readFileSync(file, "utf8"));
const packages = lock.packages;
const platform = /(android|darwin|freebsd|linux|win32|openharmony|wasm32)-?(arm64|x64|ia32|arm|ppc64|s390x|riscv64|loong64|wasi)?/;
const added = [];
for (const [path, entry] of Object.entries(packages)) {
  for (const [name, range] of Object.entries(entry.optionalDependencies ?? {})) {
    const hoisted = `node_modules/${name}`;
    const nested = path ? `${path}/node_modules/${name}` : hoisted;
    if (packages[nested] || packages[hoisted]) continue;
    const record = { version: String(range).replace(/^[\^~=]/, ""), optional: true };
    const m = platform.exec(name);
    if (m) {
      if (m[1] === "wasm32") record.cpu = ["wasm32"];
      else {
        record.os = [m[1]];
        if (m[2] && m[2] !== "wasi") record.cpu = [m[2]];
      }
    }
    packages[hoisted] = record;
    added.push(hoisted);
  }
}
writeFileSync(file, JSON.stringify(lock, null, 2) + "\n");
console.log(`${added.length} optional platform entries added${added.length ? ": " + added.join(", ") : ""}`);
