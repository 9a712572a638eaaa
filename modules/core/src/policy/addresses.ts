import { TerraformJson } from "../capabilities";
import { isStateful } from "./stateful";

/**
 * State-address stability. A committed snapshot lists the Terraform address of every stateful
 * resource per stack. An address that disappears would make Terraform destroy and re-create the
 * resource, unless the stack carries a `moved` block from it (cdktf `moveTo` / `moveFromId`).
 */
export type AddressSnapshot = Readonly<Record<string, readonly string[]>>;

export function statefulAddresses(json: TerraformJson): string[] {
  return Object.entries(json.resource ?? {})
    .filter(([type]) => isStateful(type))
    .flatMap(([type, byName]) => Object.keys(byName).map((name) => `${type}.${name}`))
    .sort();
}

/** `moved` blocks of a stack: from → to. */
export function movedBlocks(json: TerraformJson): Map<string, string> {
  const moved = ((json as { moved?: { from: string; to: string }[] }).moved ?? []);
  return new Map(moved.map((m) => [m.from, m.to]));
}

export interface AddressDrift {
  /** Snapshot addresses that are gone without a `moved` block: the plan would destroy them. */
  readonly destroyed: readonly { stack: string; address: string }[];
  /** Addresses moved with a `moved` block (fine; update the snapshot when convenient). */
  readonly moved: readonly { stack: string; from: string; to: string }[];
  /** New stateful addresses not yet in the snapshot (review, then update it). */
  readonly added: readonly { stack: string; address: string }[];
}

export function compareAddresses(snapshot: AddressSnapshot, stacks: Readonly<Record<string, TerraformJson>>): AddressDrift {
  const destroyed: { stack: string; address: string }[] = [];
  const moved: { stack: string; from: string; to: string }[] = [];
  const added: { stack: string; address: string }[] = [];
  for (const [stack, json] of Object.entries(stacks)) {
    const now = new Set(statefulAddresses(json));
    const moves = movedBlocks(json);
    const before = new Set(snapshot[stack] ?? []);
    for (const address of before) {
      if (now.has(address)) continue;
      const to = moves.get(address);
      if (to && now.has(to)) moved.push({ stack, from: address, to });
      else destroyed.push({ stack, address });
    }
    const movedTo = new Set([...moves.values()]);
    for (const address of now) if (!before.has(address) && !movedTo.has(address)) added.push({ stack, address });
  }
  return { destroyed, moved, added };
}
