import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App } from "cdktf";
import { EnvironmentConfig, FunctionSpec, ServiceSpec } from "@polycloud/core";
import { SynthValidationError, buildStacks, synthAll } from "@polycloud/stacks";
import { dev } from "../fixtures/sample/environments";

/**
 * Issue 26.4: packaging problems are validation errors naming `service.function.property`, all
 * in one run, never a stack trace; every message names its service; a cloud's error is listed
 * against that cloud's stacks only. The broken fixture (__tests__/fixtures/broken) has many at once.
 */
const dir = "__tests__/fixtures/broken";
const fn = (source: string, handler: string, runtime: FunctionSpec["runtime"] = "nodejs22"): FunctionSpec =>
  ({ source: `${dir}/${source}`, handler, runtime, memoryMb: 256, timeoutSeconds: 10 });

const broken: ServiceSpec = {
  name: "broken",
  functions: {
    "cjs-typo": fn("plain-node", "index.hanlder"),
    "esm-missing": fn("plain-node", "esm.handler"),
    "unresolved-dep": fn("plain-deps", "index.handler"),
    "runtime-cjs": fn("runtime-cjs", "index.handler"),
    "py-function": fn("python-fn", "main.handle", "python3.12"),
    "py-wheel": fn("python-reqs", "app.handler", "python3.12"),
    "node-on-py": fn("node-with-py", "main.handler"),
    "no-folder": fn("missing", "index.handler"),
    "py-no-module": fn("python-fn", "handler", "python3.12"),
    fine: fn("plain-node", "index.handler"),
  },
};
const other: ServiceSpec = { name: "other", functions: { ok: fn("plain-node", "index.handler"), typo: fn("plain-node", "nope.handler") } };

let error: unknown;
let outdir: string;
let wheels: string;
const saved = { PIP_NO_INDEX: process.env.PIP_NO_INDEX, PIP_FIND_LINKS: process.env.PIP_FIND_LINKS };

beforeAll(() => {
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), "packaging-errors-"));
  // pip looks in an empty folder only: no network, and the wheel is never found.
  wheels = fs.mkdtempSync(path.join(os.tmpdir(), "no-wheels-"));
  process.env.PIP_NO_INDEX = "1";
  process.env.PIP_FIND_LINKS = wheels;
  // An AWS setting is wrong too: its error belongs to the AWS stack only.
  const env = { ...dev, clouds: { ...dev.clouds, aws: { ...dev.clouds.aws!, vpcCidr: "10.40.0.0/8" } } } as EnvironmentConfig;
  try {
    const app = new App({ outdir });
    buildStacks(app, { environments: [env], services: () => [broken, other] });
    synthAll(app);
  } catch (e) {
    error = e;
  }
});
afterAll(() => {
  for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  fs.rmSync(outdir, { recursive: true, force: true });
  fs.rmSync(wheels, { recursive: true, force: true });
});

/** The grouped problems: message → stacks. */
const problems = () => new Map((error as SynthValidationError).problems.map((p) => [p.message, p.stacks.join(", ")]));
const find = (re: RegExp) => [...problems()].filter(([m]) => re.test(m));
const ALL = "dev-aws, dev-gcp, dev-azure";

test("one run: a validation error listing every problem, no stack trace, nothing written", () => {
  expect(error).toBeInstanceOf(SynthValidationError);
  expect((error as Error).message).not.toMatch(/\n\s+at /);
  const written = fs.existsSync(path.join(outdir, "stacks")) ? fs.readdirSync(path.join(outdir, "stacks")).filter((s) => fs.existsSync(path.join(outdir, "stacks", s, "cdk.tf.json"))) : [];
  expect(written).toEqual([]);
});

test.each([
  ["a CommonJS export typo in a plain function", /^service broken: Function: property 'functions\.cjs-typo\.handler' has value "index\.hanlder"; allowed: an export of index\.js \(it exports handler\)$/, ALL],
  ["an ES module without the export", /^service broken: Function: property 'functions\.esm-missing\.handler' has value "esm\.handler"; allowed: an export of esm\.mjs \(it exports main\)$/, ALL],
  ["a CommonJS module on the runtime without the export", /^service broken: Function: property 'functions\.runtime-cjs\.handler' has value "index\.handler"; allowed: an export of index\.cjs \(it exports handle\)$/, ALL],
  ["a dependency bundling cannot resolve", /^service broken: Function: property 'functions\.unresolved-dep\.source' has value "__tests__\/fixtures\/broken\/plain-deps"; allowed: a folder that packages \(index\.js:2:20: Could not resolve "left-pad-that-is-not-installed"\)$/, ALL],
  ["a Python function the module does not define", /^service broken: Function: property 'functions\.py-function\.handler' has value "main\.handle"; allowed: a function handle defined at the top level of main\.py$/, ALL],
  ["a Python handler without a module", /^service broken: Function: property 'functions\.py-no-module\.handler' has value "handler"; allowed: <module>\.<function> with Python identifiers/, ALL],
  ["a Node runtime on a Python folder", /^service broken: Function: property 'functions\.node-on-py\.handler' has value "main\.handler"; allowed: a module main \(\.js, \.cjs, \.mjs or \.ts\) in __tests__\/fixtures\/broken\/node-with-py \(the folder has main\.py: is runtime nodejs22 meant to be a python3\.x runtime\?\)$/, ALL],
  ["a missing folder", /^service broken: Function: property 'functions\.no-folder\.source' has value "__tests__\/fixtures\/broken\/missing"; allowed: an existing folder/, ALL],
  ["another service's missing module", /^service other: Function: property 'functions\.typo\.handler' has value "nope\.handler"; allowed: a module nope/, ALL],
])("%s", (_what, re, stacks) => {
  expect(find(re)).toEqual([[expect.any(String), stacks]]);
});

test("a wheel pip cannot find: listed per platform (Lambda builds for arm64, GCP and Azure for x86_64)", () => {
  const wheel = find(/^service broken: Function: property 'functions\.py-wheel\.source' has value "__tests__\/fixtures\/broken\/python-reqs"; allowed: a folder that packages \(__tests__\/fixtures\/broken\/python-reqs\/requirements\.txt: pip could not install binary wheels for manylinux2014_\w+, Python 3\.12 \((aws|gcp|azure)\): ERROR: [^)]*polycloud-no-such-wheel==9\.9\.9/);
  expect(wheel.map(([, stacks]) => stacks).sort()).toEqual(["dev-aws", "dev-azure", "dev-gcp"]);
});

test("the functions without mistakes are not reported", () => {
  expect(find(/functions\.(fine|ok)\./)).toEqual([]);
});

test("every problem raised in a service names the service; an AWS setting's error is listed against the AWS stack only", () => {
  for (const [message] of problems()) expect(message).toMatch(/^(service (broken|other): |environments\/dev: )/);
  expect(find(/^environments\/dev: property 'clouds\.aws\.vpcCidr' has value "10\.40\.0\.0\/8"/)).toEqual([[expect.any(String), "dev-aws"]]);
});
