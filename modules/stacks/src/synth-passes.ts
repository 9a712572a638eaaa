import { DefaultTokenResolver, ISynthesisSession, StringConcat, TerraformElement, TerraformOutput, TerraformStack, Token, Tokenization } from "cdktf";
import { Construct, IConstruct } from "constructs";
import { FastStackSynthesizer } from "./stack-synthesizer";

/**
 * cdktf's two token passes over a stack, done with less work and the same result.
 *
 * A CPU profile of 200 services × 9 stacks put about 60 % of synthesis in cdktf's token `resolve`:
 * `prepareStack` resolves every element once only to discover cross-stack references, and
 * `toTerraform` resolves every element again, deep-merges the fragments and then resolves the whole
 * merged document a third time. cdktf's resolver allocates two closures per object key and runs
 * three regular expressions per string even where there is no token, which is nearly everywhere.
 *
 * `resolveFast` walks plain data itself and hands every value that is or may hold a token (a
 * string with a token marker or something that looks like an encoded number, any number that
 * `Token.isUnresolved`, arrays holding numbers, resolvables, map tokens, constructs, functions) to
 * cdktf's public `Tokenization.resolve`, so tokens resolve exactly as before, side effects included
 * (a preparing resolve still registers cross-stack references). Plain values come out as cdktf
 * would return them: strings and numbers as they are, `undefined` dropped from objects and arrays.
 *
 * Only public cdktf API is used (TerraformStack, TerraformElement, TerraformOutput, Tokenization,
 * Token, DefaultTokenResolver, StringConcat), so this works the same on cdktf's fork cdktn. The
 * stack's synthesizer (writing the file) is stack-synthesizer.ts.
 * `__tests__/stacks/synth-passes.test.ts` compares every stack with cdktf's own passes, byte for
 * byte. POLYCLOUD_STOCK_SYNTH=1 switches back to cdktf's passes.
 */
export const stockSynth = (): boolean => process.env.POLYCLOUD_STOCK_SYNTH === "1";

const RESOLVER = new DefaultTokenResolver(new StringConcat());
/** cdktf's pattern for numbers encoded into strings (a string that matches is left to cdktf). */
const NUMBER_IN_STRING = /[-|\d|.+]+(e[-|\d|.|e|E|+]+)/;

/** True when cdktf could read anything but the string itself out of `s`. */
function mayHoldToken(s: string): boolean {
  return s.includes("TfToken[") || NUMBER_IN_STRING.test(s) || s === Token.STRING_MAP_TOKEN_VALUE || s === Token.ANY_MAP_TOKEN_VALUE;
}

/** `Tokenization.resolve` (cdktf's resolver, as `TerraformStack` uses it) on `scope`. */
export function resolveFast(scope: IConstruct, obj: unknown, preparing = false): unknown {
  const slow = (x: unknown) => Tokenization.resolve(x, { scope, preparing, resolver: RESOLVER });
  const walk = (x: unknown): unknown => {
    if (x === undefined || x === null) return x;
    switch (typeof x) {
      case "string":
        return mayHoldToken(x) ? slow(x) : x;
      case "number":
        return Token.isUnresolved(x) || x === Token.NUMBER_MAP_TOKEN_VALUE ? slow(x) : x;
      case "object":
        break;
      case "function":
        return slow(x);
      default:
        return x;
    }
    if (x instanceof Date) return x;
    if (Array.isArray(x)) {
      // List tokens (a string element with a list marker, an encoded number) change how cdktf
      // resolves the whole array: such arrays, and any array holding a number, go to cdktf.
      for (const e of x) if (typeof e === "number" || (typeof e === "string" && e.includes("TfToken["))) return slow(x);
      // Copy on write: an array (or object below) that resolves to itself is returned as it is,
      // which saves most of the garbage; cdktf's copy would hold the same values.
      let out: unknown[] | undefined = Object.getPrototypeOf(x) === Array.prototype ? undefined : [];
      for (let i = 0; i < x.length; i++) {
        const e: unknown = x[i];
        const v = walk(e);
        if (!out && (v !== e || v === undefined)) out = x.slice(0, i);
        if (out && v !== undefined) out.push(v);
      }
      return out ?? x;
    }
    const o = x as Record<string, unknown>;
    // Resolvables, map tokens and constructs (which cdktf refuses with its own error) go to cdktf.
    if (Tokenization.isResolvable(o) || (o._children !== undefined && o._metadata !== undefined)) return slow(o);
    const keys = Object.keys(o);
    for (const k of keys) if (k.includes("TfToken[")) return slow(o);
    const proto = Object.getPrototypeOf(o);
    let out: Record<string, unknown> | undefined = proto === Object.prototype ? undefined : {};
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      const key = mayHoldToken(k) ? slow(k) : k;
      if (typeof key !== "string") return slow(o); // cdktf reports a key that is not a string
      const e = o[k];
      const v = walk(e);
      if (!out && (key !== k || v !== e || v === undefined)) {
        out = {};
        for (let j = 0; j < i; j++) out[keys[j]] = o[keys[j]];
      }
      if (out && v !== undefined) out[key] = v;
    }
    return out ?? o;
  };
  return walk(obj);
}

/** The stack's elements, depth first, not descending into nested stacks (as cdktf collects them). */
export function stackElements(stack: TerraformStack): TerraformElement[] {
  const into: TerraformElement[] = [];
  const visit = (node: IConstruct) => {
    if (TerraformElement.isTerraformElement(node)) into.push(node);
    for (const child of node.node.children) if (!TerraformStack.isStack(child)) visit(child);
  };
  visit(stack);
  return into;
}

/** `TerraformStack.prepareStack`: a backend, then a preparing resolve of every element (registers cross-stack references). */
export function prepareStack(stack: TerraformStack): void {
  stack.ensureBackendExists();
  for (const e of stackElements(stack)) resolveFast(stack, e.toTerraform(), true);
}

/** cdktf's merge of fragments: objects merged, arrays concatenated, `undefined` deletes. */
export function deepMerge(target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown> {
  if (Tokenization.isResolvable(target)) throw new Error(`Invalid usage. Target (${String(target)}) can not be a resolvable token when overrides are specified.`);
  for (const key of Object.keys(source)) {
    const value = source[key];
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      if (typeof target[key] !== "object") target[key] = {};
      if (Tokenization.isResolvable(value)) {
        target[key] = value;
        continue;
      }
      deepMerge(target[key] as Record<string, unknown>, value as Record<string, unknown>);
    } else if (Array.isArray(value)) {
      target[key] = Array.isArray(target[key]) ? [...(target[key] as unknown[]), ...value] : value;
    } else if (value === undefined) {
      delete target[key];
    } else {
      target[key] = value;
    }
  }
  return target;
}

/** `TerraformStack.addOverride`'s bookkeeping: `a.b.c` sets overrides.a.b.c, replacing non-objects on the way. */
export function recordOverride(overrides: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split(".");
  let curr = overrides;
  while (parts.length > 1) {
    const key = parts.shift()!;
    const next = curr[key];
    if (!(next != null && typeof next === "object" && !Array.isArray(next))) curr[key] = {};
    curr = curr[key] as Record<string, unknown>;
  }
  curr[parts.shift()!] = value;
}

/**
 * `TerraformStack.toTerraform`: metadata, outputs map, every element resolved and merged, the
 * stack-level overrides (recorded by `recordOverride`) merged, then the merged document resolved
 * once more, as cdktf does.
 *
 * `prepared: false` folds `prepareStack`'s pass into this one: elements are resolved preparing
 * (registering cross-stack references, the only thing cdktf's preparing mode does differently),
 * then the elements that registration added (remote state data sources) until there are none
 * left. The result is what prepareStack + toTerraform give, provided every stack this one
 * references is synthesized after it (the references add outputs to those stacks): the caller's
 * duty (synthesize.ts synthesizes a shared stack after its service stacks).
 */
export function toTerraform(stack: TerraformStack, overrides: Record<string, unknown> = {}, prepared = true): Record<string, unknown> {
  const metadata: Record<string, unknown> = {
    version: stack.node.tryGetContext("cdktfVersion"),
    stackName: stack.node.id,
    backend: "local",
    cloud: undefined,
    ...(Object.keys(overrides).length > 0 ? { overrides: { stack: Object.keys(overrides) } } : {}),
  };
  let elements = stackElements(stack);
  const fragments = new Map<TerraformElement, Record<string, unknown>>();
  if (!prepared) {
    for (let pending = elements; pending.length; pending = (elements = stackElements(stack)).filter((e) => !fragments.has(e))) {
      for (const e of pending) fragments.set(e, resolveFast(stack, e.toTerraform(), true) as Record<string, unknown>);
    }
  }
  for (const e of elements) deepMerge(metadata, resolveFast(stack, e.toMetadata()) as Record<string, unknown>);
  const outputs: Record<string, unknown> = {};
  for (const item of elements) {
    if (!TerraformOutput.isTerraformOutput(item)) continue;
    const nested = item.node.path.split("/").reduceRight<Record<string, unknown>>(
      (inner, part) => (Object.keys(inner).length === 0 ? { [part]: item.friendlyUniqueId } : { [part]: inner }), {});
    deepMerge(outputs, nested);
  }
  const tf: Record<string, unknown> = { "//": { metadata, outputs } };
  for (const e of elements) deepMerge(tf, fragments.get(e) ?? (resolveFast(stack, e.toTerraform()) as Record<string, unknown>));
  deepMerge(tf, overrides);
  return resolveFast(stack, tf) as Record<string, unknown>;
}

/** A `TerraformStack` whose two token passes are the ones above (cdktf's own with POLYCLOUD_STOCK_SYNTH=1). */
export class FastTerraformStack extends TerraformStack {
  /** The stack-level overrides, recorded as cdktf records them (its own copy is private). */
  private readonly stackOverrides: Record<string, unknown> = {};

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const stock = this.synthesizer;
    const fast = new FastStackSynthesizer(this, stock);
    this.synthesizer = { synthesize: (session) => (stockSynth() ? stock : fast).synthesize(session) };
  }

  override addOverride(path: string, value: unknown): void {
    recordOverride(this.stackOverrides, path, value);
    super.addOverride(path, value);
  }

  /** Set by `prepareWhileSynthesizing`: toTerraform does the preparing pass itself. */
  private prepared = true;

  override prepareStack(): void {
    if (stockSynth()) super.prepareStack();
    else prepareStack(this);
  }

  /**
   * Instead of `prepareStack()`: the backend now, the preparing resolve folded into
   * `toTerraform()` (one pass over the elements instead of two). For stacks that reference no
   * other stack (synthesize.ts: environment and shared stacks): there it is exactly
   * cdktf's result. A stack with cross-stack references keeps cdktf's separate pass: cdktf
   * converts only the references its preparing pass saw, and a Lazy that reads another stack's
   * attribute anew at synthesis stays a (broken) direct reference in cdktf's output, which a
   * folded pass would convert; the output would then differ from cdktf's.
   */
  prepareWhileSynthesizing(): void {
    if (stockSynth()) return super.prepareStack();
    this.ensureBackendExists();
    this.prepared = false;
  }

  override toTerraform(): Record<string, unknown> {
    return stockSynth() ? super.toTerraform() : toTerraform(this, this.stackOverrides, this.prepared);
  }

  /**
   * `this.synthesizer.synthesize(session)`. After `prepareWhileSynthesizing`, the cross-stack
   * references register their stack dependencies only during toTerraform, after cdktf copied the
   * dependencies into the stack's manifest entry: the entry gets them the way cdktf's
   * `Manifest.forStack` writes them.
   */
  synthesizeInto(session: ISynthesisSession): void {
    this.synthesizer.synthesize(session);
    if (this.prepared) return;
    const entry = session.manifest.stacks[this.node.id] as { dependencies: string[] } | undefined;
    if (entry) entry.dependencies = this.dependencies.map((d) => d.node.path);
  }
}
