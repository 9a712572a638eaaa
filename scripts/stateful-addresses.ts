import * as fs from "node:fs";
import { AddressSnapshot, TerraformJson, compareAddresses, statefulAddresses } from "@polycloud/core";
import { synthesizeApp } from "../stacks/synth-json";

/**
 * `npm run addresses`: rewrites policy/stateful-addresses.json, the reviewed list of every
 * stateful resource address per stack of the composition main.ts builds (stacks/composition.ts:
 * whatever services and environments it renders). Commit it with the change that moves or adds
 * resources; the policy test fails when an address disappears without a `moved` block.
 */
export const ADDRESSES_FILE = "policy/stateful-addresses.json";

/** Compares `stacks` with the snapshot in `file`, rewrites it, and returns what changed (one line each). */
export function refreshAddresses(stacks: Readonly<Record<string, TerraformJson>>, file = ADDRESSES_FILE): string[] {
  const previous: AddressSnapshot = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : {};
  const drift = compareAddresses(previous, stacks);
  const lines = [
    ...drift.destroyed.map((d) => `REMOVED  ${d.stack} ${d.address}  (a plan would destroy it unless a moved block covers it)`),
    ...drift.moved.map((m) => `MOVED    ${m.stack} ${m.from} -> ${m.to}`),
    ...drift.added.map((a) => `ADDED    ${a.stack} ${a.address}`),
    // A stack the composition no longer renders: its state still holds resources.
    ...Object.keys(previous).filter((s) => !(s in stacks)).map((s) => `GONE     ${s}  (no longer rendered: ${previous[s].length} stateful address(es) stay in its state until it is destroyed)`),
  ];
  const snapshot = Object.fromEntries(Object.entries(stacks).sort(([a], [b]) => a.localeCompare(b)).map(([name, json]) => [name, statefulAddresses(json)]));
  fs.writeFileSync(file, JSON.stringify(snapshot, null, 2) + "\n");
  lines.push(`${file}: ${Object.values(snapshot).flat().length} stateful addresses in ${Object.keys(snapshot).length} stacks`);
  return lines;
}

/** The CLI: the composition's stacks against the committed snapshot. */
export function main(file = ADDRESSES_FILE): string[] {
  return refreshAddresses(synthesizeApp(), file);
}

if (require.main === module) {
  for (const line of main()) console.log(line);
}
