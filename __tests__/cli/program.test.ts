import * as fs from "node:fs";
import * as path from "node:path";
import { EXIT_CODES_HELP } from "@polycloud/cli";
import { polycloud } from "../helpers/cli";

/**
 * The command surface: every verb has --help with its flags and the exit codes, parse errors
 * exit 2 with a usage hint, and docs/cli.md documents every verb and flag the program has.
 */
const VERBS = ["synth", "check", "policy", "cost", "plan offline", "plan summary", "plan guard", "plan redact", "plan compare", "addresses", "stacks", "state check", "dev", "db roles", "db migrate", "init"];

test.each(VERBS)("polycloud %s --help: usage, flags and exit codes, exit 0", async (verb) => {
  const r = await polycloud([...verb.split(" "), "--help"]);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(new RegExp(`^Usage: polycloud ${verb} `));
  expect(r.stdout).toContain(EXIT_CODES_HELP.trim());
});

test("project verbs take --project and --output the same way; machine-read verbs take --json", async () => {
  for (const verb of ["synth", "check", "policy", "cost", "plan offline", "plan guard", "addresses", "stacks", "state check", "dev", "db roles", "db migrate"]) {
    const help = (await polycloud([...verb.split(" "), "--help"])).stdout;
    expect({ verb, project: help.includes("-C, --project <dir>"), output: help.includes("-o, --output <dir>") }).toEqual({ verb, project: true, output: true });
  }
  for (const verb of ["synth", "check", "policy", "cost", "plan offline", "plan summary", "plan guard", "addresses", "state check", "db migrate"]) {
    expect({ verb, json: (await polycloud([...verb.split(" "), "--help"])).stdout.includes("--json") }).toEqual({ verb, json: true });
  }
});

test("no verb, an unknown verb, an unknown flag, a bad choice or a missing argument: exit 2 with what was wrong", async () => {
  const none = await polycloud([]);
  expect(none.code).toBe(2);
  expect(none.stderr + none.stdout).toContain("Usage: polycloud");
  expect(await polycloud(["deploy"])).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown command 'deploy'") });
  expect(await polycloud(["policy", "--fail-on", "severe"])).toMatchObject({ code: 2, stderr: expect.stringContaining("Allowed choices are critical, high, medium, low") });
  expect(await polycloud(["cost", "--bogus"])).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown option '--bogus'") });
  expect(await polycloud(["plan"])).toMatchObject({ code: 2 });
  expect(await polycloud(["db", "roles", "dev"])).toMatchObject({ code: 2, stderr: expect.stringContaining("missing required argument 'database'") });
  expect(await polycloud(["check", "--skip", "lint"])).toMatchObject({ code: 2, stderr: expect.stringContaining("Allowed choices are synth, cost, policy, plan, guard, addresses") });
  expect(await polycloud(["synth", "--project", "/nonexistent-polycloud-project"])).toMatchObject({ code: 2, stderr: expect.stringContaining("no cdktf.json in /nonexistent-polycloud-project") });
});

test("init refuses a folder that is not empty and a cloud it does not know, before asking any registry", async () => {
  expect(await polycloud(["init", "modules"])).toMatchObject({ code: 2, stderr: expect.stringContaining("is not empty (use --force") });
  expect(await polycloud(["init", "/tmp/polycloud-init-never-created", "--clouds", "aws,oci"])).toMatchObject({ code: 2, stderr: expect.stringContaining("'oci' is not one of aws, gcp, azure") });
});

test("--version prints the package version", async () => {
  const { version } = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "modules", "cli", "package.json"), "utf8"));
  expect(await polycloud(["--version"])).toMatchObject({ code: 0, stdout: `${version}\n` });
});

test("docs/cli.md documents every verb, every flag and the exit codes", async () => {
  const doc = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "cli.md"), "utf8");
  for (const verb of VERBS) {
    expect({ verb, heading: doc.includes(`### polycloud ${verb}`) }).toEqual({ verb, heading: true });
    const help = (await polycloud([...verb.split(" "), "--help"])).stdout;
    const flags = [...help.matchAll(/^ {2}(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1]).filter((f) => f !== "--help");
    const section = doc.split(`### polycloud ${verb}`)[1].split(/\n### /)[0];
    const inCode = (text: string, flag: string) => new RegExp(`\`[^\`\n]*${flag}\\b`).test(text);
    for (const flag of flags) expect({ verb, flag, documented: inCode(section, flag) || inCode(doc, flag) }).toEqual({ verb, flag, documented: true });
  }
  for (const code of ["`0`", "`1`", "`2`"]) expect(doc).toContain(code);
});
