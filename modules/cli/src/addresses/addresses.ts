import * as fs from "node:fs";
import * as path from "node:path";
import { AddressSnapshot, TerraformJson, compareAddresses, statefulAddresses } from "@polycloud/core";
import { CliContext, EXIT } from "../context";
import { ProjectOptions, loadProject, manifestOf, projectFile, readStackJson, requireFreshOutput, shown } from "../project";

/**
 * `polycloud addresses [--check] [--file <snapshot>] [--json]`: the reviewed list of every
 * stateful resource address per synthesized stack (default policy/stateful-addresses.json).
 * Without `--check` it rewrites the file and lists what changed; commit it with the change that
 * moves or adds resources. With `--check` it writes nothing and fails when an address disappeared
 * without a `moved` block (a plan would destroy it) or a new one is not yet reviewed.
 */
export interface AddressesOptions extends ProjectOptions {
  readonly check?: boolean;
  readonly file?: string;
  readonly json?: boolean;
}

export interface AddressChanges {
  readonly removed: readonly { stack: string; address: string }[];
  readonly moved: readonly { stack: string; from: string; to: string }[];
  readonly added: readonly { stack: string; address: string }[];
  /** Stacks of the snapshot this synthesis no longer renders (their state still holds the resources). */
  readonly gone: readonly { stack: string; addresses: number }[];
}

/** `stacks` against `previous`; `partial`: the synthesis was filtered, so an absent stack is not gone. */
export function addressChanges(previous: AddressSnapshot, stacks: Readonly<Record<string, TerraformJson>>, partial = false): AddressChanges {
  const drift = compareAddresses(previous, stacks);
  return {
    removed: drift.destroyed,
    moved: drift.moved,
    added: drift.added,
    gone: partial ? [] : Object.keys(previous).filter((s) => !(s in stacks)).map((stack) => ({ stack, addresses: previous[stack].length })),
  };
}

/** The new snapshot: this synthesis' stacks, and with a filtered synthesis the other stacks as they were. */
export function nextSnapshot(previous: AddressSnapshot, stacks: Readonly<Record<string, TerraformJson>>, partial = false): Record<string, string[]> {
  const now = Object.fromEntries(Object.entries(stacks).map(([name, json]) => [name, statefulAddresses(json)]));
  const merged: Record<string, readonly string[]> = partial ? { ...previous, ...now } : now;
  return Object.fromEntries(Object.entries(merged).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, [...v]]));
}

export function formatChanges(c: AddressChanges): string[] {
  return [
    ...c.removed.map((d) => `REMOVED  ${d.stack} ${d.address}  (a plan would destroy it unless a moved block covers it)`),
    ...c.moved.map((m) => `MOVED    ${m.stack} ${m.from} -> ${m.to}`),
    ...c.added.map((a) => `ADDED    ${a.stack} ${a.address}`),
    ...c.gone.map((g) => `GONE     ${g.stack}  (no longer rendered: ${g.addresses} stateful address(es) stay in its state until it is destroyed)`),
  ];
}

export async function addressesCommand(ctx: CliContext, opts: AddressesOptions = {}): Promise<number> {
  const project = loadProject(ctx, opts);
  requireFreshOutput(ctx, project);
  const file = opts.file ? path.resolve(ctx.cwd, opts.file) : projectFile(project, project.config.statefulAddresses, "policy/stateful-addresses.json");
  const exists = fs.existsSync(file);
  const previous: AddressSnapshot = exists ? JSON.parse(fs.readFileSync(file, "utf8")) : {};
  const stacks = readStackJson(project) as Record<string, TerraformJson>;
  const partial = manifestOf(project)?.filter !== undefined;
  const changes = addressChanges(previous, stacks, partial);
  const snapshot = nextSnapshot(previous, stacks, partial);
  const count = Object.values(snapshot).flat().length;
  let code: number = EXIT.OK;
  let summary: string;
  if (opts.check) {
    if (!exists) {
      summary = `${shown(ctx, file)} does not exist: run \`polycloud addresses\` to record the stateful addresses, review and commit it`;
      code = EXIT.USAGE;
    } else {
      code = changes.removed.length || changes.added.length ? EXIT.FAILED : EXIT.OK;
      summary = code === EXIT.OK
        ? `${shown(ctx, file)}: every stateful address of ${Object.keys(stacks).length} stack(s) is reviewed`
        : `${shown(ctx, file)}: ${changes.removed.length} removed without a moved block, ${changes.added.length} not yet reviewed; review, then run \`polycloud addresses\` and commit it`;
    }
  } else {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(snapshot, null, 2) + "\n");
    summary = `${shown(ctx, file)}: ${count} stateful addresses in ${Object.keys(snapshot).length} stacks`;
  }
  if (opts.json) ctx.out(`${JSON.stringify({ ok: code === EXIT.OK, file, written: !opts.check, ...changes }, null, 2)}\n`);
  else ctx.out([...formatChanges(changes), summary].join("\n") + "\n");
  return code;
}
