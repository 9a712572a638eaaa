import * as fs from "node:fs";
import * as path from "node:path";
import { contentHash, defaultEvaluationCache, evaluationKey, fileIdentity } from "@polycloud/core";
import { CliContext } from "./context";
import { Project, synthesizedStackNames } from "./project";

/**
 * A per-stack result (`compute`) of every stack of the last synthesis, in their order, one stack
 * at a time: each file is read, its parsed JSON handed to `compute` and dropped before the next
 * one (37 MB of JSON for 200 services on nine stacks, kept whole, was most of the time spent
 * collecting garbage). With the evaluation cache (`@polycloud/core`'s evaluation-cache, off with
 * `POLYCLOUD_EVAL_CACHE=0`), a stack whose content, the code and `context` are those of an
 * earlier run is not parsed at all: its result is read back. The content hash is the SHA-256 of
 * the file's bytes, taken again unless the file keeps its identity (inode, size, modification and
 * change time) since it was hashed.
 */
export function perStackResults<T>(
  ctx: CliContext, project: Project, kind: string, context: (name: string) => string, compute: (name: string, json: any) => T,
): { name: string; value: T }[] {
  const cache = defaultEvaluationCache(ctx.env);
  const dir = path.join(project.outdir, "stacks");
  return synthesizedStackNames(project.outdir).map((name) => {
    const file = path.join(dir, name, "cdk.tf.json");
    if (!cache) return { name, value: compute(name, JSON.parse(fs.readFileSync(file, "utf8"))) };
    const identity = fileIdentity(file);
    const entry = cache.get<T>(kind, project.outdir, name);
    if (entry && entry.file === identity && entry.key === evaluationKey(kind, context(name), entry.content)) return { name, value: entry.value };
    const bytes = fs.readFileSync(file);
    const content = contentHash(bytes);
    const key = evaluationKey(kind, context(name), content);
    if (entry && entry.key === key) {
      cache.set(kind, project.outdir, name, { ...entry, file: identity });
      return { name, value: entry.value };
    }
    const value = compute(name, JSON.parse(bytes.toString("utf8")));
    cache.set(kind, project.outdir, name, { key, file: identity, content, value });
    return { name, value };
  });
}
