import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App, AssetType, TerraformAsset, TerraformStack } from "cdktf";
import { CUSTOM_SYNTHESIS, stableJson, stableJsonSlow } from "../../modules/stacks/src/stack-synthesizer";

/**
 * stacks/stack-synthesizer.ts writes stacks as cdktf's StackSynthesizer does: the serializer
 * against json-stable-stringify (the one cdktf uses), and the one cdktf internal it relies on.
 * (Whole stacks, assets included, are compared byte for byte in synth-passes.test.ts.)
 */
// cdktf's own copy of json-stable-stringify, found from cdktf's folder.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const stringify = require(require.resolve("json-stable-stringify", { paths: [path.dirname(require.resolve("cdktf"))] })) as (v: unknown, o: { space: number }) => string | undefined;

test("stableJson writes what json-stable-stringify writes", () => {
  const values: unknown[] = [
    {}, [], { a: [] , b: {} }, [[], [{}]], { z: 1, a: 2, B: 3, _: 4, "10": 5, "9": 6, "é": 7, "$": 8 }, "text \"quoted\" \u2028 \n", 0, -0, 1.5e300, NaN, Infinity, null, true,
    { u: undefined, f: () => 1, s: Symbol("x"), n: null, nested: { deeper: [undefined, () => 2, 3, { x: [] }] } },
    { d: new Date(0), j: { toJSON: () => ({ replaced: true }) }, arr: [new Date(1)] },
    JSON.parse(fs.readFileSync(require.resolve("../../package.json"), "utf8")),
  ];
  for (const v of values) {
    expect(stableJson(v)).toBe(stringify(v, { space: 2 }));
    expect(stableJsonSlow(v)).toBe(stringify(v, { space: 2 }));
  }
  expect(stableJson(undefined)).toBe(stringify(undefined, { space: 2 }));
  // Strings that look like empty arrays or objects stay strings.
  const tricky = { a: "[]", b: ["{}", "x: []", "\": []"], "k\": []": [], "{}": {} };
  expect(stableJson(tricky)).toBe(stringify(tricky, { space: 2 }));
  const cycle: Record<string, unknown> = { a: 1 };
  cycle.self = { back: cycle };
  expect(() => stableJson(cycle)).toThrow(TypeError);
  expect(() => stringify(cycle, { space: 2 })).toThrow(TypeError);
});

test("cdktf's assets still copy their files through the custom synthesis stacks/stack-synthesizer.ts calls", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-synthesizer-"));
  try {
    fs.writeFileSync(path.join(dir, "file.txt"), "x");
    const stack = new TerraformStack(new App({ outdir: path.join(dir, "out") }), "s");
    const asset = new TerraformAsset(stack, "asset", { path: path.join(dir, "file.txt"), type: AssetType.FILE });
    const custom = (asset as unknown as Record<symbol, { onSynthesize?: unknown } | undefined>)[CUSTOM_SYNTHESIS];
    // If this fails, cdktf (or cdktn) moved its custom synthesis: stacks/stack-synthesizer.ts no longer writes assets.
    expect(typeof custom?.onSynthesize).toBe("function");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
