import * as fs from "node:fs";
import * as path from "node:path";
import { AnnotationMetadataEntryType, Annotations, Aspects, IAspect, ISynthesisSession, IStackSynthesizer, TerraformStack } from "cdktf";
import { ConstructOrder, IConstruct } from "constructs";

/**
 * cdktf's StackSynthesizer, writing the same bytes with less work. A profile of 200 services ×
 * 9 stacks put 10 % of synthesis in json-stable-stringify, which joins every level's members
 * into a new string (the document is copied once per nesting level) and leaves those strings as
 * garbage; `stableJson` below writes the same text in one pass.
 *
 * The one cdktf internal used, isolated here: assets (TerraformAsset) copy their files through a
 * "custom synthesis" cdktf keeps under Symbol.for("cdktf/customSynthesis"), which no public API
 * exposes. __tests__/stacks/stack-synthesizer.test.ts fails loudly if an asset stops carrying it,
 * and the byte-identity tests compare every file (assets included) with cdktf's own synthesizer.
 * HCL output and stacks with resource moves (cdktf adds a Terraform version check for those) go
 * to cdktf's own synthesizer.
 */
export const CUSTOM_SYNTHESIS = Symbol.for("cdktf/customSynthesis");

type CustomSynthesis = { onSynthesize(session: ISynthesisSession): void };

/** cdktf's aspect invocation (synthesizer.invokeAspects, not exported): each aspect once per node, inherited downwards. */
export function invokeAspects(root: IConstruct): void {
  // cdktf keys this by construct path (one construct per path in a tree); the construct itself is the same key without computing paths.
  const invokedByNode = new Map<IConstruct, IAspect[]>();
  let nestedAspectWarning = false;
  const recurse = (construct: IConstruct, inherited: readonly IAspect[]) => {
    const aspects = Aspects.of(construct);
    const count = aspects.all.length;
    const here = count ? [...inherited, ...aspects.all] : inherited;
    for (const aspect of here) {
      let invoked = invokedByNode.get(construct);
      if (!invoked) invokedByNode.set(construct, (invoked = []));
      if (invoked.includes(aspect)) continue;
      aspect.visit(construct);
      if (!nestedAspectWarning && count !== aspects.all.length) {
        Annotations.of(construct).addWarning("We detected an Aspect was added via another Aspect, and will not be applied");
        nestedAspectWarning = true;
      }
      invoked.push(aspect);
    }
    for (const child of construct.node.children) recurse(child, here);
  };
  recurse(root, []);
}

const ANNOTATION_TYPES: readonly string[] = [AnnotationMetadataEntryType.INFO, AnnotationMetadataEntryType.WARN, AnnotationMetadataEntryType.ERROR];

/** Keys V8 orders numerically ahead of the others (array indices): with one, sorted insertion does not give sorted output. */
const INDEX_KEY = /^(?:0|[1-9]\d*)$/;
/** An empty array or object on its own line of JSON.stringify's output (a string value always ends with a quote). */
const EMPTY = /^( *)((?:"(?:[^"\\]|\\.)*": )?)(\[\]|\{\})(,?)$/gm;

/**
 * json-stable-stringify(value, { space: 2 }) as cdktf calls it: keys sorted by code unit,
 * `toJSON()` honoured, `undefined` members skipped (`null` in arrays), a cycle refused, and empty
 * arrays and objects written open (`[`, newline, indent, `]`). Done as a sorted copy written by
 * JSON.stringify; an object with an array-index key, which V8 would not keep in sorted order,
 * goes through `stableJsonSlow`.
 */
export function stableJson(value: unknown): string | undefined {
  let indexKeys = false;
  const seen: object[] = [];
  const copy = (x: unknown): unknown => {
    if (x && typeof (x as { toJSON?: unknown }).toJSON === "function") x = (x as { toJSON(): unknown }).toJSON();
    if (typeof x !== "object" || x === null) return x;
    if (Array.isArray(x)) return x.map(copy);
    if (seen.includes(x)) throw new TypeError("Converting circular structure to JSON");
    seen.push(x);
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(x).sort()) {
      if (INDEX_KEY.test(k)) indexKeys = true;
      out[k] = copy((x as Record<string, unknown>)[k]);
    }
    seen.pop();
    return out;
  };
  const sorted = copy(value);
  if (indexKeys) return stableJsonSlow(value);
  const text = JSON.stringify(sorted, null, 2) as string | undefined;
  return text?.replace(EMPTY, (_m, indent: string, key: string, brackets: string, comma: string) => `${indent}${key}${brackets[0]}\n${indent}${brackets[1]}${comma}`);
}

/** json-stable-stringify's algorithm, written once into one string (for objects with array-index keys). */
export function stableJsonSlow(value: unknown, space = "  "): string | undefined {
  const seen: object[] = [];
  const indents: string[] = [];
  const indent = (level: number) => (indents[level] ??= `\n${space.repeat(level)}`);
  const plain = (node: unknown): unknown => (node && typeof (node as { toJSON?: unknown }).toJSON === "function" ? (node as { toJSON(): unknown }).toJSON() : node);
  const skipped = (node: unknown) => node === undefined || typeof node === "function" || typeof node === "symbol";
  let text = "";
  const write = (node: unknown, level: number): void => {
    if (typeof node !== "object" || node === null) {
      text += JSON.stringify(node);
      return;
    }
    const close = indent(level);
    const open = indent(level + 1);
    if (Array.isArray(node)) {
      text += "[";
      for (let i = 0; i < node.length; i++) {
        text += i ? `,${open}` : open;
        const item = plain(node[i]);
        if (skipped(item)) text += "null";
        else write(item, level + 1);
      }
      text += `${close}]`;
      return;
    }
    if (seen.includes(node)) throw new TypeError("Converting circular structure to JSON");
    seen.push(node);
    text += "{";
    let first = true;
    for (const key of Object.keys(node).sort()) {
      const member = plain((node as Record<string, unknown>)[key]);
      if (skipped(member)) continue;
      text += `${first ? open : `,${open}`}${JSON.stringify(key)}: `;
      first = false;
      write(member, level + 1);
    }
    text += `${close}}`;
    seen.pop();
  };
  const top = plain(value);
  if (skipped(top)) return undefined;
  write(top, 0);
  return text;
}

/** Synthesizes one stack as cdktf's StackSynthesizer does; see the file comment. */
export class FastStackSynthesizer implements IStackSynthesizer {
  constructor(private readonly stack: TerraformStack, private readonly stock: IStackSynthesizer) {}

  synthesize(session: ISynthesisSession): void {
    const hcl = session.manifest.hclOutput || process.env.SYNTH_HCL_OUTPUT === "true" || process.env.SYNTH_HCL_OUTPUT === "1";
    if (hcl || this.stack.hasResourceMove()) return this.stock.synthesize(session);
    invokeAspects(this.stack);
    if (!session.skipValidation) this.stack.runAllValidations();
    const entry = session.manifest.forStack(this.stack);
    const workingDirectory = path.join(session.outdir, entry.workingDirectory);
    if (!fs.existsSync(workingDirectory)) fs.mkdirSync(workingDirectory);
    // Custom synthesis (asset files), leaves first.
    for (const node of this.stack.node.findAll(ConstructOrder.POSTORDER)) (node as unknown as Record<symbol, CustomSynthesis | undefined>)[CUSTOM_SYNTHESIS]?.onSynthesize(session);
    const annotations = this.stack.node.findAll().flatMap((node) => node.node.metadata.filter((m) => ANNOTATION_TYPES.includes(m.type))
      .map((m) => ({ constructPath: node.node.path, level: m.type as AnnotationMetadataEntryType, message: m.data as string, stacktrace: m.trace })));
    (entry as { annotations: unknown }).annotations = annotations;
    const errors = annotations.filter((a) => a.level === AnnotationMetadataEntryType.ERROR);
    if (process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS === undefined && errors.length) {
      throw new Error(`Encountered Annotations with level "ERROR":\n${errors.map((a) => `[${a.constructPath}] ${a.message}`).join("\n")}\n\nEither fix the issues above, or set the environment variable CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS to ignore these annotations.\n`);
    }
    fs.writeFileSync(path.join(session.outdir, entry.synthesizedStackPath), stableJson(this.stack.toTerraform()) ?? "");
  }
}
