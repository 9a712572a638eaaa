import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { Cloud, EnvironmentConfig, ServiceSpec, onSharedServer } from "@polycloud/core";

/**
 * What a stack is synthesized from, as one SHA-256 per stack: the compiled code that renders it
 * (the project's folders that do, such as its compiled stacks/ and environments/, this package,
 * @polycloud/core and runtime, the stack's cloud package,
 * package-lock.json for every dependency's version), the environment, the services it renders
 * (each spec, and the content of each function's source folder), the working directory (function
 * folders are relative to it) and the environment variables cdktf reads at synth time.
 * synthesize.ts reuses a stack's previous output while this hash is unchanged.
 *
 * File contents are hashed at most once per process, and not at all while a file keeps the size
 * and modification time recorded with its hash in the previous run (as git's index and make trust
 * them); a changed size or time always re-hashes.
 */
export const INPUTS_FORMAT = "polycloud-synth-inputs/1";

/** cdktf and our own switches that change what a synthesis writes. */
const SYNTH_ENV = ["CDKTF_CONTEXT_JSON", "SYNTH_HCL_OUTPUT", "CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS", "POLYCLOUD_TOKEN_TRACES"];

export type FileDigest = readonly [size: number, mtimeMs: number, sha: string];

const sha = (...parts: readonly (string | Buffer)[]): string => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p).update("\0");
  return h.digest("hex");
};

/** JSON with sorted keys and without `undefined`: the same value always gives the same text. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === "function") return `[function ${v.toString()}]`;
    if (v && typeof v === "object" && !Array.isArray(v)) {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]));
    }
    return v;
  }) ?? "undefined";
}

/** True when this file runs as TypeScript (under jest), so the packages' sources are what renders. */
const FROM_SOURCES = __filename.endsWith(".ts");

/** Where the code that renders stacks lives: the directories every stack depends on, and each cloud's package. */
export interface CodeDirs {
  readonly common: readonly string[];
  readonly clouds: Readonly<Record<Cloud, string>>;
}

/**
 * The code that renders stacks: the project's own folders that do (`project`: its composition and
 * environments, compiled or, under jest, the sources), this package's folder and each @polycloud
 * package's folder, whole (compiled code, sources, and the files a package writes into function
 * packages, such as the runtime's Python module). A cloud package or the runtime that is not
 * installed is left out (a stack of that cloud fails validation saying what to install).
 */
export function codeDirs(project: readonly string[] = []): CodeDirs {
  const pkg = (name: string) => {
    try {
      return path.dirname(require.resolve(`@polycloud/${name}/package.json`));
    } catch {
      return "";
    }
  };
  return {
    // This file sits in the package's src/ (lib/ when compiled): the package folder is its parent.
    common: [...project.map((d) => path.resolve(d)), path.resolve(__dirname, ".."), pkg("core"), pkg("runtime")].filter(Boolean),
    clouds: { aws: pkg("aws"), gcp: pkg("gcp"), azure: pkg("azure") },
  };
}

/**
 * The files under `dir` that can change what is synthesized. In a package folder: every file but
 * declarations, source maps, build info and Markdown. In a project's folder (stacks/, environments/):
 * JavaScript and TypeScript only (function code there, .mjs or .py, is a function folder's
 * content, hashed with the service that deploys it).
 */
function codeFiles(dir: string): string[] {
  const project = !fs.existsSync(path.join(dir, "package.json"));
  // Run from the sources (jest maps @polycloud/* to modules/*/src): a package's compiled lib/
  // renders nothing here, and a `tsc -b` running beside the tests rewrites it between two syntheses.
  const skipped = FROM_SOURCES && !project ? new Set(["lib"]) : new Set<string>();
  const wanted = (name: string) => project
    ? /\.(js|ts)$/.test(name) && !name.endsWith(".d.ts")
    : !/\.(d\.ts|map|tsbuildinfo|md)$/.test(name);
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== "node_modules" && e.name !== "__pycache__" && !(d === dir && skipped.has(e.name))) walk(p);
      } else if (e.isFile() && wanted(e.name)) out.push(p);
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

/** The nearest package-lock.json above `dir`: every dependency's exact version. */
function lockFile(dir: string): string | undefined {
  for (let d = dir; ; d = path.dirname(d)) {
    const f = path.join(d, "package-lock.json");
    if (fs.existsSync(f)) return f;
    if (path.dirname(d) === d) return undefined;
  }
}

/** Hashes a composition's inputs; `prior` holds file digests recorded by the previous run. */
export class SynthInputs {
  /** Every file digest used in this run (recorded for the next one). */
  readonly digests: Record<string, FileDigest> = {};
  private readonly code = new Map<Cloud, string>();
  private readonly folders = new Map<string, string>();
  private readonly envs = new WeakMap<EnvironmentConfig, string>();
  private readonly specs = new WeakMap<ServiceSpec, string>();
  private common?: string;

  constructor(private readonly prior: Readonly<Record<string, FileDigest>> = {}, private readonly dirs: CodeDirs = codeDirs()) {}

  /** SHA-256 of a file's bytes (trusted from `prior` while its size and mtime are unchanged). */
  file(f: string): string {
    const known = this.digests[f];
    if (known) return known[2];
    const st = fs.statSync(f);
    const before = this.prior[f];
    const digest: FileDigest = before && before[0] === st.size && before[1] === st.mtimeMs
      ? before : [st.size, st.mtimeMs, createHash("sha256").update(fs.readFileSync(f)).digest("hex")];
    this.digests[f] = digest;
    return digest[2];
  }

  private files(list: readonly string[]): string {
    return sha(...list.flatMap((f) => [f, this.file(f)]));
  }

  /** The code that renders a stack of `cloud` (the shared code and that cloud's package). */
  codeVersion(cloud: Cloud): string {
    const hit = this.code.get(cloud);
    if (hit) return hit;
    const dirs = this.dirs;
    if (!this.common) {
      const lock = lockFile(process.cwd());
      this.common = sha(this.files(dirs.common.flatMap(codeFiles)), lock ? this.file(lock) : "no package-lock.json");
    }
    const dir = dirs.clouds[cloud];
    const version = sha(this.common, dir ? this.files(codeFiles(dir)) : `no package for ${cloud}`);
    this.code.set(cloud, version);
    return version;
  }

  /** Every file under a function's source folder: relative path and content. */
  folder(dir: string): string {
    const abs = path.resolve(dir);
    const hit = this.folders.get(abs);
    if (hit) return hit;
    let digest: string;
    if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) digest = "missing";
    else {
      const parts: string[] = [];
      const walk = (rel: string) => {
        for (const e of fs.readdirSync(path.join(abs, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
          const r = rel ? `${rel}/${e.name}` : e.name;
          if (e.isDirectory()) walk(r);
          else if (e.isFile()) parts.push(r, this.file(path.join(abs, r)));
          else if (e.isSymbolicLink()) parts.push(r, `link:${fs.readlinkSync(path.join(abs, r))}`);
        }
      };
      walk("");
      digest = sha(...parts);
    }
    this.folders.set(abs, digest);
    return digest;
  }

  environment(env: EnvironmentConfig): string {
    let h = this.envs.get(env);
    if (!h) this.envs.set(env, (h = sha(canonical(env))));
    return h;
  }

  /** A service's spec and the content of the folders it names: its functions' code and its databases' migrations. */
  service(svc: ServiceSpec): string {
    let h = this.specs.get(svc);
    if (!h) {
      const folders = Object.values(svc.functions ?? {}).map((f) => this.folder((f as { source?: string }).source ?? "."));
      // A migrations folder is packaged into the database's migration step (a string, else validation rejects it).
      const migrations = Object.values(svc.databases ?? {}).map((d) => (d as { migrations?: unknown }).migrations)
        .map((m) => (typeof m === "string" && m !== "" ? this.folder(m) : "no migrations"));
      this.specs.set(svc, (h = sha(canonical(svc), ...folders, ...migrations)));
    }
    return h;
  }

  /** One stack: its name and kind, its cloud's code, its environment, its services in order, the synth settings. */
  stack(plan: { id: string; kind: string; cloud: Cloud; env: EnvironmentConfig; services: readonly ServiceSpec[]; tierServices?: readonly ServiceSpec[] }): string {
    return sha(INPUTS_FORMAT, plan.id, plan.kind, this.codeVersion(plan.cloud), this.environment(plan.env), process.cwd(),
      canonical(SYNTH_ENV.map((k) => [k, process.env[k] ?? null])), ...plan.services.map((s) => this.service(s)),
      // A partitioned shared stack renders the environment's shared tier from the databases on the
      // shared server (and their callers' timeouts, which size the pool), not from the services' code.
      ...(plan.tierServices ?? []).filter((s) => Object.values(s.databases ?? {}).some((d) => d && onSharedServer(d))).map((s) => canonical({ service: s.name, databases: s.databases ?? {},
        timeouts: Object.entries(s.functions ?? {}).map(([id, f]) => [id, f.timeoutSeconds ?? null]) })),
      // ... and, on Azure, from whether any service has a gateway (one API Management) or a queue (one Service Bus namespace).
      ...(plan.kind === "shared" && plan.cloud === "azure" ? [canonical({ gateways: (plan.tierServices ?? []).some((s) => Object.keys(s.gateways ?? {}).length > 0),
        queues: (plan.tierServices ?? []).some((s) => Object.keys(s.queues ?? {}).length > 0) })] : []));
  }
}
