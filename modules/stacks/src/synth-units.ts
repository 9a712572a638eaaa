import * as fs from "node:fs";
import * as path from "node:path";
import type { App, AppConfig, ISynthesisSession, TerraformStack } from "cdktf";
import type { PlatformStack } from "./platform-stack";
import type { CompositionPlan, StackPlan } from "./plan";
import type { StackRecord } from "./synth-record";

/**
 * Building the stacks of one environment × cloud (a "unit"): an `environment` stack, or a shared
 * stack with its service stacks. The same code runs in the synthesizing process and in its worker
 * threads (synth-worker.ts); synthesize.ts decides what each unit rebuilds.
 */
export type Unit = readonly StackPlan[];

/** What a unit has to do: the input hash of each stack, the service stacks it reuses, the shared stack's previous record. */
export interface UnitJob {
  readonly index: number;
  /** Per stack id; a shared stack's entry is its own inputs, without the references to it. */
  readonly hashes: Readonly<Record<string, string>>;
  /** Service stacks reused from the previous output, with the cross-stack references each made. */
  readonly kept: Readonly<Record<string, readonly (readonly [string, string])[]>>;
  /** The recorded cross-stack references of the shared stack's service stacks a filter left out of this run. */
  readonly unselected?: readonly (readonly [string, string])[];
  /** The shared stack's previous record when its output is intact (reused if the references to it did not change). */
  readonly priorShared?: StackRecord;
}

export interface UnitResult {
  readonly index: number;
  /** Records of the stacks built (files not yet moved) and of the shared stack when reused (kept service stacks: the caller's). */
  readonly records: Record<string, StackRecord>;
  readonly built: string[];
  readonly reused: string[];
  /** Validation problems, in the order `synthAll` lists them. */
  readonly problems: { stack: string; message: string }[];
}

/** The stacks of each environment × cloud, in plan order. */
export function units(plan: CompositionPlan): StackPlan[][] {
  const out: StackPlan[][] = [];
  for (const s of plan.stacks) {
    if (s.kind === "service" && out.length && out[out.length - 1][0].id === s.shared) out[out.length - 1].push(s);
    else out.push([s]);
  }
  return out;
}

/** A shared stack's hash: its own inputs and the references its service stacks make to it. */
export function sharedHash(base: string, sharedId: string, refs: readonly (readonly [string, string])[]): string {
  return `${base}:${JSON.stringify([...new Set(refs.filter(([from]) => from === sharedId).map(([, id]) => id))].sort())}`;
}

/* eslint-disable @typescript-eslint/no-require-imports -- cdktf and the cloud packages load only when a stack is built */
const cdktf = () => require("cdktf") as typeof import("cdktf");
const stackBuilder = () => require("./app") as typeof import("./app");
const core = () => require("@polycloud/core") as typeof import("@polycloud/core");
/* eslint-enable @typescript-eslint/no-require-imports */

/** A cdktf App that records the cross-stack references each stack makes (App.crossStackReference is public API). */
export function recordingApp(config?: AppConfig): App & { refsOf(id: string): [string, string][] } {
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

/**
 * Constructs, validates, prepares and synthesizes units into `staging` (a cdktf output folder
 * whose `stacks/` exists), dropping each stack from the app once written. Once any stack failed
 * validation, later stacks are still constructed and validated, but no longer synthesized.
 */
export class UnitBuilder {
  private readonly app: ReturnType<typeof recordingApp>;
  private readonly session: ISynthesisSession;
  private failed = false;
  /** `<env>:<cloud>` of every stack being synthesized (selected), as synthAll sees the app's stacks. */
  private readonly rendered: Set<string>;

  constructor(private readonly plan: CompositionPlan, staging: string, config?: AppConfig) {
    this.rendered = new Set(plan.stacks.map((s) => `${s.env.name}:${s.cloud}`));
    this.app = recordingApp(config);
    this.session = { outdir: staging, skipValidation: this.app.skipValidation, manifest: new (cdktf().Manifest)(this.app.manifest.version, staging, this.app.hclOutput) };
  }

  build(unit: Unit, job: UnitJob): UnitResult {
    const result: UnitResult = { index: job.index, records: {}, built: [], reused: [], problems: [] };
    const { constructStack, namingService, serviceOf } = stackBuilder();
    const { problemCloud } = core();
    const construct = (p: StackPlan) => constructStack(this.app, p, this.plan);
    const validate = (stack: PlatformStack) => {
      for (const node of stack.node.findAll()) {
        for (const message of node.node.validate()) {
          // As synthAll lists them: a problem of one cloud's settings against that cloud's stacks
          // only (when it renders any), and every problem raised in a service naming it.
          const about = problemCloud(message);
          if (about && about !== stack.cloud && this.rendered.has(`${stack.env.name}:${about}`)) continue;
          result.problems.push({ stack: stack.node.id, message: namingService(message, serviceOf(stack, node)) });
        }
      }
      if (result.problems.length) this.failed = true;
      return !this.failed;
    };
    const write = (stack: PlatformStack, hash: string) => {
      if (this.failed) return;
      stack.synthesizeInto(this.session);
      result.records[stack.node.id] = { hash, entry: this.session.manifest.stacks[stack.node.id], refs: this.app.refsOf(stack.node.id), files: [] };
      result.built.push(stack.node.id);
    };
    const drop = (id: string) => this.app.node.tryRemoveChild(id);

    const [head, ...services] = unit;
    if (head.kind !== "shared") {
      const stack = construct(head);
      // References no other stack: the preparing pass folds into synthesis (synth-passes.ts).
      if (validate(stack)) stack.prepareWhileSynthesizing();
      write(stack, job.hashes[head.id]);
      drop(head.id);
      return result;
    }
    const shared = construct(head);
    if (validate(shared)) shared.prepareWhileSynthesizing();
    // Service stacks a filter left out still read the shared stack: their recorded references keep
    // its outputs, so the shared stack written does not depend on which stacks a run selects.
    const refs: (readonly [string, string])[] = [...(job.unselected ?? [])];
    for (const svc of services) {
      const kept = job.kept[svc.id];
      if (kept) {
        result.reused.push(svc.id);
        refs.push(...kept);
        continue;
      }
      const stack = construct(svc);
      // A service stack references its shared stack: cdktf's own preparing pass (see synth-passes.ts).
      if (validate(stack)) stack.prepareStack();
      write(stack, job.hashes[svc.id]);
      refs.push(...this.app.refsOf(svc.id));
      drop(svc.id);
    }
    // The reused service stacks' references, as their preparation would have registered them.
    for (const [from, identifier] of refs) if (from === head.id) shared.registerOutgoingCrossStackReference(identifier);
    const hash = sharedHash(job.hashes[head.id], head.id, refs);
    if (job.priorShared && job.priorShared.hash === hash && !this.failed) {
      result.records[head.id] = job.priorShared;
      result.reused.push(head.id);
    } else {
      write(shared, hash);
    }
    drop(head.id);
    return result;
  }

  /** App-level validations (cdktf's App.synth checks them last). */
  appProblems(): { stack: string; message: string }[] {
    return this.app.node.validate().map((message) => ({ stack: "(app)", message }));
  }
}

/** A staging folder inside `outdir` that cdktf can synthesize into. */
export function makeStaging(outdir: string): string {
  const staging = fs.mkdtempSync(path.join(outdir, ".synth-"));
  fs.mkdirSync(path.join(staging, "stacks"));
  return staging;
}
