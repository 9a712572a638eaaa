// Synthesizes the behaviour scenarios of one cloud with one module source file replaced by a
// mutated copy held in memory; started by mutation.test.ts (one process, many jobs over IPC).
//
// The TypeScript sources are compiled with @swc/core as jest does, @polycloud/* resolves to the
// workspace sources, and the mutated file is compiled from the copy instead of the file on disk:
// the working tree is never written. Between jobs every project module is dropped from the require
// cache (provider bindings stay loaded), so each job sees exactly one mutation.
"use strict";
const Module = require("node:module");
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.resolve(process.argv[2]);
const { transformSync } = require(path.join(ROOT, "node_modules/@swc/core"));

/** Absolute path → source text replacing the file's content for the current job. */
let overlay = new Map();
const compiled = new Map();

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  const m = /^@polycloud\/(core|aws|gcp|azure|runtime|stacks)$/.exec(request);
  if (m) return path.join(ROOT, "modules", m[1], "src", "index.ts");
  return resolve.call(this, request, parent, ...rest);
};
require.extensions[".ts"] = function (module, filename) {
  const source = overlay.get(filename) ?? fs.readFileSync(filename, "utf8");
  const key = `${filename}\0${source}`;
  let code = compiled.get(key);
  if (code === undefined) {
    code = transformSync(source, { filename, jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "commonjs" } }).code;
    compiled.set(key, code);
  }
  module._compile(code, filename);
};

const isProjectModule = (file) => file.startsWith(ROOT + path.sep) && !file.includes(`${path.sep}node_modules${path.sep}`);

function synthesize(cloud) {
  for (const file of Object.keys(require.cache)) if (isProjectModule(file)) delete require.cache[file];
  require(path.join(ROOT, "modules/stacks/src/token-traces.ts")).skipTokenCreationTraces();
  const { scenarios, synthScenario } = require(path.join(ROOT, "__tests__/behaviour/scenarios.ts"));
  return Object.fromEntries(scenarios().map((s) => [s.name, synthScenario(s, cloud)]));
}

process.on("message", (job) => {
  try {
    overlay = new Map(job.file ? [[path.join(ROOT, job.file), job.text]] : []);
    process.send({ id: job.id, stacks: synthesize(job.cloud) });
  } catch (e) {
    process.send({ id: job.id, error: String((e && e.stack) || e).slice(0, 2000) });
  }
});
process.send({ ready: true });
