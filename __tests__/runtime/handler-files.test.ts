import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Problems, ServiceSpec, handlerFileProblem, validateService } from "@polycloud/core";
import { AWS_LIMITS } from "../../modules/aws/src/limits";
import { bundleFunction, stageFunction } from "@polycloud/runtime";

/**
 * Issue 24.4: in a folder built on @polycloud/runtime, `handler: "<file>.<export>"` builds <file>,
 * never package.json `main`; two functions in one folder get their own code on every cloud; a
 * missing file or export is a validation error naming the service, function and handler.
 */
const dir = path.join(__dirname, "..", "fixtures", "two-handlers");
const CODES = ["publishToIOT", "publishToIOTuserTopic", "publishToIOTconfig"];

describe.each(["aws", "gcp", "azure"] as const)("%s", (cloud) => {
  test("each function is built from the file its handler names", () => {
    for (const code of CODES) {
      const b = bundleFunction(dir, { cloud, logicalId: code.toLowerCase(), handler: `${code}.handler` });
      const js = Object.entries(b.files).filter(([f]) => f.endsWith(".js")).map(([, t]) => t).join("\n");
      expect(js).toContain(`"${code}"`);
      for (const other of CODES.filter((c) => c !== code)) expect(js).not.toContain(`"${other}"`);
      expect(b.inputs).toContain(path.join(dir, `${code}.mjs`));
    }
  });
});

test("AWS: the staged package answers with the named file's code (the Lambda handler path <file>.handler)", async () => {
  for (const code of ["publishToIOTuserTopic", "publishToIOTconfig"]) {
    const out = stageFunction(dir, { cloud: "aws", logicalId: code.toLowerCase(), handler: `${code}.handler` });
    expect(fs.readdirSync(out).sort()).toEqual(["package.json", `${code}.js`]);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path.join(out, `${code}.js`));
    const res = await mod.handler({ version: "2.0", rawPath: "/", rawQueryString: "", headers: {}, requestContext: { http: { method: "GET" } } });
    expect(JSON.parse(res.body)).toEqual({ code });
  }
});

describe("validation: the handler must name code that exists", () => {
  const messages = (functions: ServiceSpec["functions"]) => validateService({ name: "iot", functions } as ServiceSpec, AWS_LIMITS, new Problems("AwsService(iot)")).messages();
  const fn = (source: string, handler: string) => ({ source, handler, runtime: "nodejs22" as const, memoryMb: 256, timeoutSeconds: 10 });
  const rel = path.relative(process.cwd(), dir);

  test("a missing file and an unknown export are errors on functions.<id>.handler, with the service", () => {
    const m = messages({
      good: fn(rel, "publishToIOTconfig.handler"),
      cjs: fn(rel, "commonjs.handler"),
      missing: fn(rel, "publishToIOTdevice.handler"),
      wrong: fn(rel, "publishToIOTuserTopic.publish"),
    });
    expect(m).toEqual([
      expect.stringMatching(/^service iot: Function: property 'functions\.missing\.handler' has value "publishToIOTdevice\.handler"; allowed: a module publishToIOTdevice \(\.js, \.cjs, \.mjs or \.ts\) in .*two-handlers, the file the code is built from$/),
      expect.stringMatching(/^service iot: Function: property 'functions\.wrong\.handler' has value "publishToIOTuserTopic\.publish"; allowed: an export of publishToIOTuserTopic\.mjs \(it exports handler\)$/),
    ]);
  });

  test("Python: the module and a top-level function; the files the entry points take are free", () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "py-handler-"));
    try {
      const write = (f: string, t: string) => { fs.mkdirSync(path.dirname(path.join(work, f)), { recursive: true }); fs.writeFileSync(path.join(work, f), t); };
      write("app/handlers.py", "from polycloud_runtime import http\n\n@http\ndef web(req):\n    pass\n\nasync def later(x):\n    pass\n\nalias = web\n");
      write("app/__init__.py", "");
      write("other.py", "from app.handlers import (\n    web,\n    later,\n)\n");
      expect(handlerFileProblem(work, "app.handlers.web", "python3.12")).toBeUndefined();
      expect(handlerFileProblem(work, "app.handlers.later", "python3.12")).toBeUndefined();
      expect(handlerFileProblem(work, "app.handlers.alias", "python3.12")).toBeUndefined();
      expect(handlerFileProblem(work, "other.later", "python3.12")).toBeUndefined();
      expect(handlerFileProblem(work, "app.handlers.missing", "python3.12")).toMatch(/a function missing defined at the top level of app\/handlers\.py/);
      expect(handlerFileProblem(work, "nowhere.web", "python3.12")).toMatch(/a module nowhere \(nowhere\.py\)/);
      expect(handlerFileProblem(work, "web", "python3.12")).toMatch(/<module>\.<function>/);
      write("main.py", "def helper():\n    pass\n");
      expect(handlerFileProblem(work, "app.handlers.web", "python3.12")).toMatch(/packaging writes main\.py for the Functions Framework on GCP/);
      expect(handlerFileProblem(work, "main.helper", "python3.12")).toBeUndefined();
      // A service deployed to AWS only: the GCP entry point's file is the folder's own.
      expect(handlerFileProblem(work, "app.handlers.web", "python3.12", ["aws"])).toBeUndefined();
      write("function_app.py", "");
      expect(handlerFileProblem(work, "main.helper", "python3.12")).toMatch(/a folder without function_app\.py/);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});
