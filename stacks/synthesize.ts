import * as fs from "node:fs";
import * as path from "node:path";
import type { App, AppConfig, ISynthesisSession, TerraformStack } from "cdktf";
import type { PlatformStack } from "./platform-stack";
import { BuildOptions, CompositionPlan, StackPlan, SynthValidationError, group, planStacks } from "./plan";
import { SynthInputs } from "./synth-inputs";
import { ManifestRecord, StackRecord, fileStamp, moveStaged, outputIntact, readRecord, removeRecord, writeRecord } from "./synth-record";
import { removeStamp, writeStamp } from "./sources-stamp";

/**
 * Synthesizes a composition the way `App.synth()` would, with the same files as the result, but:
 * - one environment × cloud at a time: its stacks are constructed, validated, prepared,
 *   synthesized and dropped before the next, so memory holds one unit, not the whole app;
 * - incrementally: a stack whose inputs (stacks/synth-inputs.ts) hash as in the previous run into
 *   the same output directory, and whose files are unchanged there, is not constructed at all; its
 *   manifest entry and warnings come from the record (stacks/synth-record.ts). With nothing to
 *   rebuild, neither cdktf nor any provider package is even loaded.
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
  /** Passed to cdktf's App (outdir, context, ...). */
  readonly app?: AppConfig;
}

export interface SynthesisReport {
  readonly outdir: string;
  /** Warnings, each once with the stacks it affects. */
  readonly warnings: { message: string; stacks: string[] }[];
  /** Stacks synthesized in this run, and stacks reused from the previous output. */
  readonly built: string[];
  readonly reused: string[];
}

/* eslint-disable @typescript-eslint/no-require-imports -- loaded only when a stack has to be built */
const cdktf = () => require("cdktf") as typeof import("cdktf");
const stackBuilder = () => require("./app") as typeof import("./app");
/* eslint-enable @typescript-eslint/no-require-imports */

/** Where cdktf's App writes and whether it writes HCL, as its constructor decides both. */
function appSettings(config: AppConfig = {}): { outdir: string; hclOutput: boolean } {
  const env = process.env.SYNTH_HCL_OUTPUT;
  return { outdir: config.outdir ?? process.env.CDKTF_OUTDIR ?? "cdktf.out", hclOutput: env !== undefined ? env === "true" : (config.hclOutput ?? false) };
}

/** A cdktf App that records the cross-stack references each stack makes (App.crossStackReference is public API). */
function recordingApp(config?: AppConfig): App & { refsOf(id: string): [string, string][] } {
  class RecordingApp extends cdktf().App {
    private readonly references = new Map<string, Set<string>>();

    override crossStackReference(fromStack: TerraformStack, toStack: TerraformStack, identifier: string): string {
      const refs = this.references.get(toStack.node.id) ?? new Set<string>();
      refs.add(JSON.stringify([fromStack.node.id, identifier]));
      this.references.set(toStack.node.id, refs);
      return super.crossStackReference(fromStack, toStack, identifier);
    }

    refsOf(id: string): [string, string][] {
      return [...(this.references.get(id) ?? [])].sort().map((r) => JSON.parse(r) as [string, string]);
    }
  }
  return new RecordingApp(config);
}

/** The stacks of one environment × cloud: one `environment` stack, or a shared stack and its service stacks. */
function units(plan: CompositionPlan): StackPlan[][] {
  const out: StackPlan[][] = [];
  for (const s of plan.stacks) {
    if (s.kind === "service" && out.length && out[out.length - 1][0].id === s.shared) out[out.length - 1].push(s);
    else out.push([s]);
  }
  return out;
}

/** A shared stack's hash: its own inputs and the references its service stacks make to it. */
function sharedHash(base: string, sharedId: string, refs: readonly (readonly [string, string])[]): string {
  return `${base}:${JSON.stringify([...new Set(refs.filter(([from]) => from === sharedId).map(([, id]) => id))].sort())}`;
}

export function synthesize(options: BuildOptions, settings: SynthesizeSettings = {}): SynthesisReport {
  const plan = planStacks(options);
  const { outdir, hclOutput } = appSettings(settings.app);
  fs.mkdirSync(outdir, { recursive: true });
  removeStamp(outdir);
  const previous = readRecord(outdir);
  removeRecord(outdir);
  // Problems the plan already knows (a service on no enabled cloud) are listed with every stack of
  // the environment, as buildStacks does: then every stack is constructed and validated.
  const incremental = (settings.incremental ?? process.env.POLYCLOUD_INCREMENTAL !== "0") && !hclOutput && Object.keys(plan.nowhere).length === 0;
  const inputs = new SynthInputs(previous?.digests);
  const prior = (id: string, hash: string): StackRecord | undefined => {
    const r = previous?.stacks[id];
    return incremental && r && r.hash === hash && outputIntact(outdir, id, r) ? r : undefined;
  };

  const records: Record<string, StackRecord> = {};
  const built: string[] = [];
  const reused: string[] = [];
  const reuse = (id: string, r: StackRecord) => {
    records[id] = r;
    reused.push(id);
  };
  // Set up on the first stack that has to be built.
  let build: { app: ReturnType<typeof recordingApp>; staging: string; session: ISynthesisSession; construct: (p: StackPlan) => PlatformStack } | undefined;
  const builder = () => {
    if (build) return build;
    const app = recordingApp(settings.app);
    const staging = fs.mkdtempSync(path.join(outdir, ".synth-"));
    const session: ISynthesisSession = { outdir: staging, skipValidation: app.skipValidation, manifest: new (cdktf().Manifest)(app.manifest.version, staging, app.hclOutput) };
    const { constructStack } = stackBuilder();
    return (build = { app, staging, session, construct: (p) => constructStack(app, p, plan) });
  };
  const problems: { stack: string; message: string }[] = [];
  const validate = (stack: TerraformStack) => {
    for (const node of stack.node.findAll()) for (const message of node.node.validate()) problems.push({ stack: stack.node.id, message });
    return problems.length === 0;
  };
  /** Synthesizes a constructed, prepared stack into staging (skipped once any stack failed validation). */
  const write = (stack: PlatformStack, hash: string) => {
    if (problems.length) return;
    const b = builder();
    stack.synthesizeInto(b.session);
    records[stack.node.id] = { hash, entry: b.session.manifest.stacks[stack.node.id], refs: b.app.refsOf(stack.node.id), files: [] };
    built.push(stack.node.id);
  };
  const drop = (id: string) => builder().app.node.tryRemoveChild(id);

  try {
    for (const unit of units(plan)) {
      const [head, ...services] = unit;
      if (head.kind !== "shared") {
        const hash = inputs.stack(head);
        const r = prior(head.id, hash);
        if (r) {
          reuse(head.id, r);
          continue;
        }
        const stack = builder().construct(head);
        if (validate(stack)) stack.prepareWhileSynthesizing();
        write(stack, hash);
        drop(head.id);
        continue;
      }
      // A shared stack and its service stacks.
      const hashes = services.map((s) => inputs.stack(s));
      const kept = services.map((s, i) => prior(s.id, hashes[i]));
      const base = inputs.stack(head);
      if (kept.every(Boolean)) {
        const r = prior(head.id, sharedHash(base, head.id, kept.flatMap((k) => k!.refs)));
        if (r) {
          reuse(head.id, r);
          services.forEach((s, i) => reuse(s.id, kept[i]!));
          continue;
        }
      }
      const shared = builder().construct(head);
      if (validate(shared)) shared.prepareWhileSynthesizing();
      const refs: (readonly [string, string])[] = [];
      for (const [i, svc] of services.entries()) {
        const r = kept[i];
        if (r) {
          reuse(svc.id, r);
          refs.push(...r.refs);
          continue;
        }
        const stack = builder().construct(svc);
        // A service stack references its shared stack: cdktf's own preparing pass (see synth-passes.ts).
        if (validate(stack)) stack.prepareStack();
        write(stack, hashes[i]);
        refs.push(...builder().app.refsOf(svc.id));
        drop(svc.id);
      }
      // The reused service stacks' references, as their preparation would have registered them.
      for (const [from, identifier] of refs) if (from === head.id) shared.registerOutgoingCrossStackReference(identifier);
      const hash = sharedHash(base, head.id, refs);
      const r = prior(head.id, hash);
      if (r && !problems.length) reuse(head.id, r);
      else write(shared, hash);
      drop(head.id);
    }
    if (build) for (const message of build.app.node.validate()) problems.push({ stack: "(app)", message });
    if (problems.length) {
      // Nothing was written: the previous output and its record still agree.
      if (previous?.manifest) writeRecord(outdir, previous.stacks, previous.digests, previous.manifest);
      throw new SynthValidationError(group(problems));
    }

    // Everything is valid: move the new stacks into place, then the manifest, the record and the stamp.
    for (const id of built) records[id] = { ...records[id], files: moveStaged(build!.staging, outdir, id) };
    const ids = plan.stacks.map((s) => s.id);
    const manifestFile = path.join(outdir, "manifest.json");
    const manifestKept = previous?.manifest && !built.length && JSON.stringify(previous.manifest.stacks) === JSON.stringify(ids)
      && fileStamp(manifestFile)?.join() === [previous.manifest.size, previous.manifest.mtimeMs].join();
    if (!manifestKept) {
      // cdktf's own Manifest writes the file, so its format is cdktf's whatever the version.
      const manifest = build?.app.manifest ?? new (cdktf().App)(settings.app).manifest;
      for (const s of plan.stacks) manifest.stacks[s.id] = records[s.id].entry;
      manifest.writeToFile();
    }
    const [size, mtimeMs] = fileStamp(manifestFile) ?? [0, 0];
    const manifestRecord: ManifestRecord = { stacks: ids, size, mtimeMs };
    // Stacks the composition no longer has lose their directories (unselected ones keep theirs).
    const names = new Set(plan.names);
    for (const id of Object.keys(previous?.stacks ?? {})) if (!names.has(id)) fs.rmSync(path.join(outdir, "stacks", id), { recursive: true, force: true });
    const unselected = Object.fromEntries(Object.entries(previous?.stacks ?? {}).filter(([id]) => names.has(id) && !records[id]));
    if (!hclOutput) writeRecord(outdir, { ...unselected, ...records }, inputs.digests, manifestRecord);
    writeStamp(outdir);
  } finally {
    if (build) fs.rmSync(build.staging, { recursive: true, force: true });
  }
  const warnings = plan.stacks.flatMap((s) => records[s.id].entry.annotations
    .filter((a) => a.level === "@cdktf/warn").map((a) => ({ stack: s.id, message: String(a.message) })));
  return { outdir, warnings: group(warnings), built, reused };
}

