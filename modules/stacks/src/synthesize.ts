import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { AppConfig } from "cdktf";
import { RaisedWarning, WarningReport, groupWarnings } from "@polycloud/core";
import { SynthValidationError, group, planStacks } from "./plan";
import { SynthInputs, codeDirs } from "./synth-inputs";
import { ManifestRecord, StackRecord, fileStamp, moveStaged, outputChange, outputIntact, readRecord, removeRecord, writeRecord } from "./synth-record";
import { CompositionSource, ModuleSource, isModuleSource, loadComposition } from "./synth-source";
import { UnitBuilder, UnitJob, UnitResult, makeStaging, sharedHash, units } from "./synth-units";
import { WorkerOutOfMemory, runInWorkers } from "./synth-workers";
import { removeStamp, writeStamp } from "@polycloud/core";

/**
 * Synthesizes a composition the way `App.synth()` would, with the same files as the result, but:
 * - one environment × cloud at a time: its stacks are constructed, validated, prepared,
 *   synthesized and dropped before the next (synth-units.ts), so memory holds one unit;
 * - incrementally: a stack whose inputs (synth-inputs.ts) hash as in the previous run into
 *   the same output directory, and whose files are unchanged there, is not constructed at all; its
 *   manifest entry and warnings come from the record (synth-record.ts). With nothing to
 *   rebuild, neither cdktf nor any provider package is loaded;
 * - in parallel: when there is enough to build and the composition comes from a module, units
 *   are built by worker threads (synth-workers.ts), one per core.
 *
 * Partitioned environments: a service stack reads its shared stack through cdktf's cross-stack
 * references, which add outputs to the shared stack. The shared stack is built whenever one of its
 * service stacks is, the references of the service stacks that are reused are registered on it
 * from the record, and it is written only when that set or its own inputs changed: its content
 * never depends on which service stacks happened to be built in this run.
 *
 * Every stack is validated before anything is written to the output directory: stacks are
 * synthesized into a staging folder inside it and moved into place once all are valid. A failed
 * validation throws SynthValidationError listing every problem with the stacks it affects.
 */
export interface SynthesizeSettings {
  /** Reuse unchanged stacks from the previous output. @default true unless POLYCLOUD_INCREMENTAL=0 */
  readonly incremental?: boolean;
  /**
   * Worker threads (0: build in this thread). @default POLYCLOUD_SYNTH_WORKERS, else one per core
   * (at most 4) when the stacks to build render 60 services or more and the source is a module.
   */
  readonly workers?: number;
  /** Passed to cdktf's App (outdir, context, ...). */
  readonly app?: AppConfig;
  /**
   * The project's folders whose code renders stacks (its composition and environments, compiled):
   * a change there synthesizes every stack again. @default the composition module's folder when the
   * source is a module, else none
   */
  readonly code?: readonly string[];
  /**
   * The files and folders the sources stamp hashes, relative to the working directory.
   * @default the project's configured sources (`polycloud.sources` in package.json)
   */
  readonly sources?: readonly string[];
}

export interface SynthesisReport {
  readonly outdir: string;
  /** Warnings, once per environment and id with the services they affect (formatWarnings prints them). */
  readonly warnings: WarningReport;
  /** Stacks synthesized in this run, and stacks reused from the previous output. */
  readonly built: string[];
  readonly reused: string[];
  /** Worker threads used (0: this thread). */
  readonly workers: number;
}

/** Where cdktf's App writes and whether it writes HCL, as its constructor decides both. */
function appSettings(config: AppConfig = {}): { outdir: string; hclOutput: boolean } {
  const env = process.env.SYNTH_HCL_OUTPUT;
  return { outdir: config.outdir ?? process.env.CDKTF_OUTDIR ?? "cdktf.out", hclOutput: env !== undefined ? env === "true" : (config.hclOutput ?? false) };
}

/** Services the jobs render (a measure of the work, to decide on worker threads). */
function workload(all: ReturnType<typeof units>, jobs: readonly UnitJob[]): number {
  return jobs.reduce((n, j) => n + all[j.index].filter((s) => !j.kept[s.id]).reduce((m, s) => m + Math.max(1, s.services.length), 0), 0);
}

function workerCount(settings: SynthesizeSettings, source: CompositionSource, all: ReturnType<typeof units>, jobs: readonly UnitJob[]): number {
  // Workers run compiled code only (under jest this file is TypeScript).
  if (!isModuleSource(source) || jobs.length < 2 || !__filename.endsWith(".js")) return 0;
  const asked = settings.workers ?? (process.env.POLYCLOUD_SYNTH_WORKERS !== undefined ? Number(process.env.POLYCLOUD_SYNTH_WORKERS) : undefined);
  if (asked !== undefined) return Math.max(0, Math.min(Math.floor(asked) || 0, jobs.length));
  return workload(all, jobs) >= 60 ? Math.min(os.availableParallelism(), 4, jobs.length) : 0;
}

export async function synthesize(source: CompositionSource, settings: SynthesizeSettings = {}): Promise<SynthesisReport> {
  const plan = planStacks(loadComposition(source));
  const all = units(plan);
  const { outdir, hclOutput } = appSettings(settings.app);
  fs.mkdirSync(outdir, { recursive: true });
  removeStamp(outdir);
  const previous = readRecord(outdir);
  removeRecord(outdir);
  // Problems the plan already knows (a service on no enabled cloud) are listed with every stack of
  // the environment, as buildStacks does: then every stack is constructed and validated.
  const incremental = (settings.incremental ?? process.env.POLYCLOUD_INCREMENTAL !== "0") && !hclOutput && Object.keys(plan.nowhere).length === 0;
  const code = settings.code ?? (isModuleSource(source) ? [path.dirname(source.module)] : []);
  const inputs = new SynthInputs(previous?.digests, codeDirs(code));
  // POLYCLOUD_SYNTH_EXPLAIN=1 prints why each stack is synthesized again.
  const explain = process.env.POLYCLOUD_SYNTH_EXPLAIN === "1" ? (id: string, why: string) => console.error(`synth: ${id}: ${why}`) : () => {};
  const prior = (id: string, hash: string): StackRecord | undefined => {
    const r = previous?.stacks[id];
    const why = !incremental ? "incremental synthesis is off" : !r ? "not in the previous output's record" : r.hash !== hash ? "its inputs changed" : outputChange(outdir, id, r);
    if (why) explain(id, why);
    return why ? undefined : r;
  };

  // What each environment × cloud needs: nothing (every stack reused) or a job.
  const records: Record<string, StackRecord> = {};
  const jobs: UnitJob[] = [];
  for (const [index, unit] of all.entries()) {
    const [head, ...services] = unit;
    const hashes: Record<string, string> = Object.fromEntries(unit.map((s) => [s.id, inputs.stack(s)]));
    if (head.kind !== "shared") {
      const r = prior(head.id, hashes[head.id]);
      if (r) records[head.id] = r;
      else jobs.push({ index, hashes, kept: {} });
      continue;
    }
    const kept: Record<string, StackRecord> = {};
    for (const s of services) {
      const r = prior(s.id, hashes[s.id]);
      if (r) kept[s.id] = r;
    }
    Object.assign(records, kept);
    // Service stacks a filter left out: the references their written output makes, as recorded.
    const unselected = (head.unselected ?? []).flatMap((id) => {
      const r = previous?.stacks[id];
      return r && outputIntact(outdir, id, r) ? r.refs : [];
    });
    const previousShared = previous?.stacks[head.id];
    const priorShared = incremental && previousShared && outputIntact(outdir, head.id, previousShared) ? previousShared : undefined;
    if (Object.keys(kept).length === services.length && priorShared?.hash === sharedHash(hashes[head.id], head.id, [...unselected, ...Object.values(kept).flatMap((k) => k.refs)])) {
      records[head.id] = priorShared;
      continue;
    }
    jobs.push({ index, hashes, kept: Object.fromEntries(Object.entries(kept).map(([id, r]) => [id, r.refs])), unselected, priorShared });
  }

  const built: string[] = [];
  const staging = jobs.length ? makeStaging(outdir) : undefined;
  let workers = staging ? workerCount(settings, source, all, jobs) : 0;
  try {
    const results: UnitResult[] = [];
    const problems: { stack: string; message: string }[] = [];
    let inWorkers = staging !== undefined && workers > 0;
    if (inWorkers) {
      try {
        const out = await runInWorkers(source as ModuleSource, jobs, staging!, settings.app, workers);
        results.push(...out.results);
        problems.push(...[...results].sort((a, b) => a.index - b.index).flatMap((r) => r.problems), ...out.appProblems);
      } catch (e) {
        if (!(e instanceof WorkerOutOfMemory)) throw e;
        console.error(`synth: a unit needs more than a worker's heap cap (POLYCLOUD_WORKER_HEAP_MB); building in this thread instead`);
        fs.rmSync(path.join(staging!, "stacks"), { recursive: true, force: true });
        fs.mkdirSync(path.join(staging!, "stacks"));
        inWorkers = false;
        workers = 0;
      }
    }
    if (staging && !inWorkers) {
      const builder = new UnitBuilder(plan, staging, settings.app);
      for (const job of jobs) results.push(builder.build(all[job.index], job));
      problems.push(...results.flatMap((r) => r.problems), ...builder.appProblems());
    }
    for (const r of results.sort((a, b) => a.index - b.index)) {
      Object.assign(records, r.records);
      built.push(...r.built);
    }
    if (problems.length) {
      // Nothing was written: the previous output and its record still agree.
      if (previous?.manifest) writeRecord(outdir, previous.stacks, previous.digests, previous.manifest);
      throw new SynthValidationError(group(problems));
    }

    // Everything is valid: move the new stacks into place, then the manifest, the record and the stamp.
    for (const id of built) records[id] = { ...records[id], files: moveStaged(staging!, outdir, id) };
    const ids = plan.stacks.map((s) => s.id);
    const manifestFile = path.join(outdir, "manifest.json");
    const manifestKept = previous?.manifest && !built.length && JSON.stringify(previous.manifest.stacks) === JSON.stringify(ids)
      && fileStamp(manifestFile)?.join() === [previous.manifest.size, previous.manifest.mtimeMs].join();
    if (!manifestKept) {
      // cdktf's own Manifest builds the document (its version, its layout), written as its
      // writeToFile writes it (json-stable-stringify, 2 spaces) by stableJson, the same text
      // without json-stable-stringify's cost (0.7 s of 1,809 stacks' entries in a profile).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const manifest = new (require("cdktf") as typeof import("cdktf")).App(settings.app).manifest;
      for (const s of plan.stacks) manifest.stacks[s.id] = records[s.id].entry;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { stableJson } = require("./stack-synthesizer") as typeof import("./stack-synthesizer");
      fs.writeFileSync(path.join(manifest.outdir, "manifest.json"), stableJson(manifest.buildManifest())!);
    }
    const [size, mtimeMs] = fileStamp(manifestFile) ?? [0, 0];
    const manifestRecord: ManifestRecord = { stacks: ids, size, mtimeMs };
    // Stacks the composition no longer has lose their directories (unselected ones keep theirs).
    const names = new Set(plan.names);
    for (const id of Object.keys(previous?.stacks ?? {})) if (!names.has(id)) fs.rmSync(path.join(outdir, "stacks", id), { recursive: true, force: true });
    const unselected = Object.fromEntries(Object.entries(previous?.stacks ?? {}).filter(([id]) => names.has(id) && !records[id]));
    if (!hclOutput) writeRecord(outdir, { ...unselected, ...records }, inputs.digests, manifestRecord);
    writeStamp(outdir, process.cwd(), settings.sources);
  } finally {
    if (staging) fs.rmSync(staging, { recursive: true, force: true });
  }
  // The warnings as synthAll collects them: per stack, with the service each comes from (the
  // stack's child named after a service it renders), grouped per environment and id.
  const raised: RaisedWarning[] = [];
  const accepts: Record<string, readonly string[] | undefined> = {};
  for (const s of plan.stacks) {
    accepts[s.env.name] = s.env.accept ?? [];
    const names = new Set(s.services.map((svc) => svc.name));
    for (const a of records[s.id].entry.annotations) {
      if (a.level !== "@cdktf/warn") continue;
      const top = a.constructPath.split("/")[1];
      raised.push({ environment: s.env.name, cloud: s.cloud, stack: s.id, service: top !== undefined && names.has(top) ? top : undefined, message: String(a.message) });
    }
  }
  const fresh = new Set(built);
  return { outdir, warnings: groupWarnings(raised, accepts), built, reused: plan.stacks.map((s) => s.id).filter((id) => !fresh.has(id)), workers };
}
