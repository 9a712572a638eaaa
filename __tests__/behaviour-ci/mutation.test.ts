import { ChildProcess, fork } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { CLOUDS, Cloud } from "@polycloud/core";
import { equivalenceProblems } from "../behaviour/read";
import { scenarios } from "../behaviour/scenarios";
import { Component, MUTATIONS, Mutation } from "./mutations";

/**
 * Mutation test of the equivalence comparison. Each mutation changes one cloud's module source
 * (in memory, in a child process that synthesizes the scenarios' stacks of that cloud); it must
 * change the synthesized JSON, and it counts as caught when comparing the mutated cloud's records
 * with the spec's intent and the other clouds' (unmutated) records reports a difference for at
 * least one scenario. Nothing else counts: not synth errors, not other tests.
 */
const ROOT = path.resolve(__dirname, "../..");
const REQUIRED_SCORE = 0.95;

type Stacks = Record<string, any>;
let child: ChildProcess;
let next = 0;
const waiting = new Map<number, (r: { stacks?: Stacks; error?: string }) => void>();
const synth = (cloud: Cloud, mutation?: { file: string; text: string }) => new Promise<{ stacks?: Stacks; error?: string }>((resolve) => {
  const id = next++;
  waiting.set(id, resolve);
  child.send({ id, cloud, ...(mutation ?? {}) });
});

const SCENARIOS = scenarios();
const baseline = {} as Record<Cloud, Stacks>;

beforeAll(async () => {
  child = fork(path.join(__dirname, "mutation-child.cjs"), [ROOT], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  await new Promise<void>((resolve, reject) => {
    child.once("error", reject);
    child.on("message", (msg: any) => {
      if (msg.ready) return resolve();
      waiting.get(msg.id)?.(msg);
      waiting.delete(msg.id);
    });
  });
  for (const cloud of CLOUDS) {
    const r = await synth(cloud);
    if (!r.stacks) throw new Error(`baseline ${cloud}: ${r.error}`);
    baseline[cloud] = r.stacks;
  }
});
afterAll(() => { child?.kill(); });

test("the mutation list: at least 40, spread over the five components and the three clouds", () => {
  expect(MUTATIONS.length).toBeGreaterThanOrEqual(40);
  expect(new Set(MUTATIONS.map((m) => m.id)).size).toBe(MUTATIONS.length);
  const components: Component[] = ["function", "gateway", "queue", "bus", "database"];
  for (const cloud of CLOUDS) for (const component of components) {
    expect([cloud, component, MUTATIONS.filter((m) => m.cloud === cloud && m.component === component).length >= 2]).toEqual([cloud, component, true]);
  }
});

test("the unmutated sources, synthesized the same way, show no difference (the baseline of every mutation)", () => {
  for (const s of SCENARIOS) {
    const stacks = Object.fromEntries(CLOUDS.map((c) => [c, baseline[c][s.name]])) as Record<Cloud, any>;
    expect([s.name, equivalenceProblems(stacks, s.service(s.env), s.env)]).toEqual([s.name, []]);
  }
});

test(`the equivalence comparison alone catches at least ${REQUIRED_SCORE * 100}% of the one-cloud mutations`, async () => {
  const invalid: string[] = [];
  const caught: { m: Mutation; first: string }[] = [];
  const survived: Mutation[] = [];
  for (const m of MUTATIONS) {
    const original = fs.readFileSync(path.join(ROOT, m.file), "utf8");
    const occurrences = original.split(m.find).length - 1;
    if (occurrences !== 1) {
      invalid.push(`${m.id}: ${m.file} holds the text to replace ${occurrences} times (must be exactly once); update the mutation after the module changed`);
      continue;
    }
    const r = await synth(m.cloud, { file: m.file, text: original.replace(m.find, () => m.replace) });
    if (!r.stacks) {
      invalid.push(`${m.id}: the mutated sources do not synthesize (${r.error?.split("\n")[0]})`);
      continue;
    }
    const changed = SCENARIOS.filter((s) => JSON.stringify(r.stacks![s.name]) !== JSON.stringify(baseline[m.cloud][s.name]));
    if (!changed.length) {
      invalid.push(`${m.id}: the synthesized JSON does not change in any scenario (not a mutation of behaviour that reaches a stack)`);
      continue;
    }
    const found = changed.map((s) => equivalenceProblems({ ...Object.fromEntries(CLOUDS.map((c) => [c, baseline[c][s.name]])), [m.cloud]: r.stacks![s.name] } as Record<Cloud, any>, s.service(s.env), s.env)
      .map((p) => `${s.name}: ${p}`)).flat();
    if (found.length) caught.push({ m, first: found[0] });
    else survived.push(m);
  }
  const valid = caught.length + survived.length;
  const score = valid ? caught.length / valid : 0;
  const perCloud = CLOUDS.map((c) => `${c} ${caught.filter((x) => x.m.cloud === c).length}/${caught.filter((x) => x.m.cloud === c).length + survived.filter((x) => x.cloud === c).length}`).join(", ");
  console.log([
    `mutation score of the equivalence comparison alone: ${caught.length}/${valid} = ${(100 * score).toFixed(1)}% (${perCloud}); required ${REQUIRED_SCORE * 100}%`,
    `survivors (${survived.length}):${survived.length ? "" : " none"}`,
    ...survived.map((m) => `  ${m.id} (${m.file}): ${JSON.stringify(m.find)} → ${JSON.stringify(m.replace)}`),
    ...(invalid.length ? [`invalid mutations (${invalid.length}):`, ...invalid.map((i) => `  ${i}`)] : []),
    "caught by (first difference each):",
    ...caught.map(({ m, first }) => `  ${m.id}: ${first.slice(0, 220)}`),
  ].join("\n"));
  expect(invalid).toEqual([]);
  expect(score).toBeGreaterThanOrEqual(REQUIRED_SCORE);
});
