import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App, DefaultTokenResolver, Fn, Lazy, S3Backend, StringConcat, TerraformIterator, TerraformLocal, TerraformOutput, TerraformStack, TerraformVariable, Token, Tokenization } from "cdktf";
import { Construct } from "constructs";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { environments } from "../fixtures/sample/environments";
import { buildStacks } from "@polycloud/stacks";
import { cartService } from "../../stacks/cart-service";
import { referenceService } from "../../stacks/reference-service";
import { devWithRemoteState } from "../helpers/sample-json";
import { FastTerraformStack, resolveFast } from "../../modules/stacks/src/synth-passes";
import { synthesize } from "../../modules/stacks/src/synthesize";
import { RECORD_FILE } from "../../modules/stacks/src/synth-record";
import { STAMP_FILE } from "@polycloud/core";
import { EnvironmentConfig } from "@polycloud/core";

/**
 * modules/stacks/src/synth-passes.ts replaces cdktf's two token passes (prepareStack, toTerraform) for speed.
 * Whatever it does, the files must be the ones cdktf's own passes write: every test here
 * synthesizes the same app twice, once with POLYCLOUD_STOCK_SYNTH=1 (cdktf's passes), and compares
 * the output directories byte for byte.
 */
function files(dir: string, rel = ""): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const p = path.join(rel, e.name);
    if (e.isDirectory()) Object.assign(out, files(dir, p));
    else out[p] = fs.readFileSync(path.join(dir, p));
  }
  return out;
}

function synthBoth(build: (app: App) => void): { fast: Record<string, Buffer>; stock: Record<string, Buffer> } {
  const run = (stock: boolean) => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "synth-passes-"));
    const before = process.env.POLYCLOUD_STOCK_SYNTH;
    try {
      if (stock) process.env.POLYCLOUD_STOCK_SYNTH = "1";
      else delete process.env.POLYCLOUD_STOCK_SYNTH;
      const app = new App({ outdir });
      build(app);
      app.synth();
      return files(outdir);
    } finally {
      if (before === undefined) delete process.env.POLYCLOUD_STOCK_SYNTH;
      else process.env.POLYCLOUD_STOCK_SYNTH = before;
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  };
  return { fast: run(false), stock: run(true) };
}

/** What `run` writes into an empty directory, except the files only modules/stacks/src/synthesize.ts writes. */
async function written(run: (outdir: string) => void | Promise<unknown>): Promise<Record<string, Buffer>> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "synth-passes-"));
  try {
    await run(outdir);
    const out = files(outdir);
    for (const f of [RECORD_FILE, STAMP_FILE]) delete out[f];
    return out;
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

function expectSameFiles({ fast, stock }: { fast: Record<string, Buffer>; stock: Record<string, Buffer> }): void {
  expect(Object.keys(fast).sort()).toEqual(Object.keys(stock).sort());
  for (const [name, bytes] of Object.entries(stock)) {
    if (!bytes.equals(fast[name])) expect({ name, text: fast[name].toString() }).toEqual({ name, text: bytes.toString() });
  }
}

test("the reference composition: all nine stacks are byte-identical to cdktf's own passes", () => {
  const out = synthBoth((app) => buildStacks(app, { environments, service: referenceService }));
  expect(Object.keys(out.stock).filter((f) => f.endsWith("cdk.tf.json"))).toHaveLength(9);
  expectSameFiles(out);
});

test("two services, partitioned per service on every cloud (cross-stack references): byte-identical", () => {
  const env = devWithRemoteState("service");
  const out = synthBoth((app) => buildStacks(app, { environments: [env], services: (e) => [referenceService(e), cartService(e)] }));
  // Service stacks read the shared stacks' outputs: the preparing pass registered them.
  const shared = JSON.parse(out.fast[path.join("stacks", "dev-aws-shared", "cdk.tf.json")].toString());
  expect(Object.keys(shared.output ?? {}).some((k) => k.startsWith("cross-stack-output-"))).toBe(true);
  expectSameFiles(out);
});

test("the synthesis driver (one pass per element, stacks dropped as they are written) writes what App.synth with cdktf's passes writes", async () => {
  const compositions = [
    { environments, service: referenceService },
    { environments: [devWithRemoteState("service")], services: (e: EnvironmentConfig) => [referenceService(e), cartService(e)] },
  ];
  for (const composition of compositions) {
    const fast = await written((outdir) => synthesize(composition, { app: { outdir }, incremental: false }));
    const stock = synthBoth((app) => buildStacks(app, composition)).stock;
    expectSameFiles({ fast, stock });
  }
});

/** Every kind of token and plain value cdktf resolves, in resources, locals, outputs and overrides. */
class Zoo extends Construct {
  constructor(scope: Construct, id: string, other?: S3Bucket) {
    super(scope, id);
    const bucket = new S3Bucket(this, "bucket", { bucket: "zoo-1e5-0e12ab", tags: { plain: "v", number_like: "2e-3", hex: "4df0e766" } });
    const size = new TerraformVariable(this, "size", { type: "number", default: 3 });
    const names = new TerraformVariable(this, "names", { type: "list(string)", default: ["a", "b"] });
    const iterator = TerraformIterator.fromList(names.listValue);
    new SqsQueue(this, "queue", {
      forEach: iterator,
      name: `${iterator.value}-${bucket.bucket}`,
      delaySeconds: size.numberValue,
      maxMessageSize: Token.asNumber(Fn.lengthOf(names.listValue)),
      tags: { [bucket.bucket]: "key is a token", count: Token.asString(size.numberValue), both: `n=${Token.asString(size.numberValue)} b=${bucket.arn}` },
      policy: Fn.jsonencode({ Statement: [{ Resource: [bucket.arn, `${bucket.arn}/*`], Effect: "Allow" }], Version: "2012-10-17", Nums: [1, 2.5, -3e-7] }),
      redrivePolicy: Lazy.stringValue({ produce: () => JSON.stringify({ deadLetterTargetArn: other?.arn ?? bucket.arn, maxReceiveCount: 4 }) }),
    });
    new TerraformLocal(this, "mixed", {
      list: [1, 2, 3], mixed: [true, null, "x", { deep: [bucket.id, { deeper: Token.asList(bucket.arn) }] }], empty: {}, emptyList: [],
      map: Token.asStringMap(Fn.merge([{ a: "1" }, { b: bucket.id }])), numbers: Token.asNumberList(Fn.concat([[1], [2]])),
      sentinel: "String Map Token Value but not alone", date_like: "2026-12-07T00:00:00Z", lazy: Lazy.anyValue({ produce: () => ({ at: bucket.arn, n: 7, u: undefined }) }),
      cross: other ? other.arn : "none", undef: undefined,
    });
    new TerraformOutput(this, "arn", { value: bucket.arn, description: "1e3 ${literal} escape" });
    new TerraformOutput(this, "list", { value: [bucket.arn, size.numberValue, 5] });
    bucket.addOverride("lifecycle.prevent_destroy", true);
    bucket.addOverride("tags_all.from_override", bucket.id);
  }
}

test("every kind of token, plain value, override and cross-stack reference: byte-identical", () => {
  const out = synthBoth((app) => {
    const make = (id: string) => {
      const stack = new FastTerraformStack(app, id);
      new AwsProvider(stack, "aws", { region: "eu-west-1" });
      new S3Backend(stack, { bucket: "state", key: `${id}.tfstate`, region: "eu-west-1" });
      return stack;
    };
    const a = make("zoo-a");
    const zooA = new Zoo(a, "zoo");
    const b = make("zoo-b");
    new Zoo(b, "zoo", zooA.node.findChild("bucket") as S3Bucket);
    b.addOverride("terraform.required_providers.aws", { source: "hashicorp/aws", version: "6.25.0" });
    b.addOverride("locals.extra", { ref: Token.asString((zooA.node.findChild("bucket") as S3Bucket).arn) });
    a.addOverride("terraform.backend.s3.use_lockfile", true);
  });
  const b = JSON.parse(out.fast[path.join("stacks", "zoo-b", "cdk.tf.json")].toString());
  expect(b.data.terraform_remote_state).toBeDefined();
  expect(b["//"].metadata.overrides.stack).toEqual(["terraform", "locals"]);
  expectSameFiles(out);
});

test("the zoo with the preparing pass folded into toTerraform for the stack that references no other: byte-identical", async () => {
  const build = (app: App) => {
    const make = (id: string) => {
      const stack = new FastTerraformStack(app, id);
      new AwsProvider(stack, "aws", { region: "eu-west-1" });
      new S3Backend(stack, { bucket: "state", key: `${id}.tfstate`, region: "eu-west-1" });
      return stack;
    };
    const a = make("zoo-a");
    const zooA = new Zoo(a, "zoo");
    const b = make("zoo-b");
    new Zoo(b, "zoo", zooA.node.findChild("bucket") as S3Bucket);
    return [a, b] as const;
  };
  const stock = synthBoth((app) => build(app)).stock;
  const fast = await written((outdir) => {
    const app = new App({ outdir });
    const [a, b] = build(app);
    // b references a: cdktf's preparing pass; a (the origin) folds it and is synthesized last.
    a.prepareWhileSynthesizing();
    b.prepareStack();
    const session = { outdir, skipValidation: false, manifest: app.manifest };
    for (const s of [b, a]) s.synthesizeInto(session);
    app.manifest.writeToFile();
  });
  expectSameFiles({ fast, stock });
});

test("resolveFast returns what cdktf's resolver returns, and throws where it throws", () => {
  const stack = new TerraformStack(new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), "synth-passes-")) }), "s");
  const stock = (x: unknown) => Tokenization.resolve(x, { scope: stack, preparing: false, resolver: new DefaultTokenResolver(new StringConcat()) });
  const values: unknown[] = [
    "plain", "1e5", "a0e12b", "", 0, -1.5, 1e300, true, null, undefined, [], {}, [undefined, 1, "x"], { a: undefined, b: [null], c: { d: "e" } },
    { "0e1": "key like a number" }, new Date(0), Token.asNumber(Fn.abs(-1)), `x${Token.asString(Token.asNumber(Fn.abs(-1)))}y`,
    ["a", , "b"], new (class WithToJson { a = "1"; toJSON() { return "not me"; } })(), Object.create(null) as object,
  ];
  for (const v of values) {
    expect(resolveFast(stack, v)).toStrictEqual(stock(v));
    expect(JSON.stringify(resolveFast(stack, v))).toBe(JSON.stringify(stock(v)));
  }
  expect(() => resolveFast(stack, () => 1)).toThrow();
  expect(() => resolveFast(stack, { child: stack })).toThrow();
  expect(() => resolveFast(stack, { x: Token.STRING_MAP_TOKEN_VALUE })).toThrow();
});
