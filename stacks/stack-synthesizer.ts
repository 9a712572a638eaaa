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
  const invokedByPath: Record<string, IAspect[]> = {};
  let nestedAspectWarning = false;
  const recurse = (construct: IConstruct, inherited: readonly IAspect[]) => {
    const aspects = Aspects.of(construct);
    const here = [...inherited, ...aspects.all];
    const count = aspects.all.length;
    for (const aspect of here) {
      const invoked = (invokedByPath[construct.node.path] ??= []);
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

/**
 * json-stable-stringify(value, { space }) as cdktf calls it, in one pass: keys sorted by code
 * unit, `toJSON()` honoured, `undefined` members skipped (`null` in arrays), empty arrays and
 * objects written open (`[` newline indent `]`), a cycle refused.
 */
export function stableJson(value: unknown, space = "  "): string | undefined {
  const out: string[] = [];
  const seen: object[] = [];
  const write = (node: unknown, level: number): boolean => {
    if (node && typeof (node as { toJSON?: unknown }).toJSON === "function") node = (node as { toJSON(): unknown }).toJSON();
    if (node === undefined) return false;
    if (typeof node !== "object" || node === null) {
      const text = JSON.stringify(node);
      if (text === undefined) return false;
      out.push(text);
      return true;
    }
    const indent = `\n${space.repeat(level)}`;
    const inner = indent + space;
    if (Array.isArray(node)) {
      out.push("[");
      for (let i = 0; i < node.length; i++) {
        out.push(i ? `,${inner}` : inner);
        if (!write(node[i], level + 1)) out.push("null");
      }
      out.push(`${indent}]`);
      return true;
    }
    if (seen.includes(node)) throw new TypeError("Converting circular structure to JSON");
    seen.push(node);
    const keys = Object.keys(node).sort();
    out.push("{");
    let first = true;
    for (const key of keys) {
      const mark = out.length;
      out.push(`${first ? inner : `,${inner}`}${JSON.stringify(key)}: `);
      if (write((node as Record<string, unknown>)[key], level + 1)) first = false;
      else out.length = mark;
    }
    out.push(`${indent}}`);
    seen.pop();
    return true;
  };
  return write(value, 0) ? out.join("") : undefined;
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
