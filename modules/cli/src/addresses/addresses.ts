import * as fs from "node:fs";
import { compareAddresses, statefulAddresses } from "@polycloud/core";
import { synthesizeAll, synthesizeTwoServices } from "../stacks/synth-json";

/**
 * `npm run addresses`: rewrites policy/stateful-addresses.json, the reviewed list of every
 * stateful resource address per stack. Commit it with the change that moves or adds resources;
 * the test fails when an address disappears without a `moved` block.
 */
const file = "policy/stateful-addresses.json";
// The reference composition, and a two-service environment (orders + cart) in both partitionings.
const stacks = { ...synthesizeAll(), ...synthesizeTwoServices() };
const previous = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : {};
const drift = compareAddresses(previous, stacks);
for (const d of drift.destroyed) console.log(`REMOVED  ${d.stack} ${d.address}  (a plan would destroy it unless a moved block covers it)`);
for (const m of drift.moved) console.log(`MOVED    ${m.stack} ${m.from} -> ${m.to}`);
for (const a of drift.added) console.log(`ADDED    ${a.stack} ${a.address}`);
const snapshot = Object.fromEntries(Object.entries(stacks).sort(([a], [b]) => a.localeCompare(b)).map(([name, json]) => [name, statefulAddresses(json)]));
fs.writeFileSync(file, JSON.stringify(snapshot, null, 2) + "\n");
console.log(`${file}: ${Object.values(snapshot).flat().length} stateful addresses in ${Object.keys(snapshot).length} stacks`);
