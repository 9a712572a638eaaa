import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { FunctionInstance, FunctionLaunch, FunctionLauncher, InvocationResult } from "@polycloud/core";
import { HOSTS_DIR } from "../paths";
import { HostProcess } from "./host-process";
import { unzip } from "./unzip";

/** Modules the Lambda Node.js runtime provides to every function (the AWS SDK v3), from this repository's install. */
function lambdaRuntimeModules(stateDir: string): string {
  const dir = path.join(stateDir, "lambda-runtime", "node_modules");
  const link = path.join(dir, "@aws-sdk");
  if (!fs.existsSync(link)) {
    fs.mkdirSync(dir, { recursive: true });
    const sdk = path.dirname(path.dirname(path.dirname(require.resolve("@aws-sdk/client-sqs"))));
    fs.symlinkSync(path.basename(sdk) === "@aws-sdk" ? sdk : path.join(sdk, ".."), link, "dir");
  }
  return dir;
}

const FRAMEWORK_VERSION = (): string => {
  const index = require.resolve("@google-cloud/functions-framework");
  return JSON.parse(fs.readFileSync(path.join(path.dirname(index), "..", "..", "package.json"), "utf8")).version;
};

/**
 * Starts function instances from their packages: the zip is unpacked once per content hash, and
 * a host script plays the platform (hosts/*). The environment is the function's as the cloud sets
 * it; platform paths (`/var/runtime/ca-cert.pem`) are replaced by the runner's files.
 */
export class ProcessLauncher implements FunctionLauncher {
  constructor(
    private readonly stateDir: string,
    private readonly networkFile: string,
    private readonly clockFile: string,
    private readonly publicCaFile: string,
    private readonly log: (source: string, line: string, component?: string) => void,
  ) {}

  async launch(spec: FunctionLaunch): Promise<FunctionInstance> {
    const hash = createHash("sha256").update(fs.readFileSync(spec.archive)).digest("hex").slice(0, 16);
    const slug = spec.id.replace(/[^A-Za-z0-9_-]/g, "_");
    const dir = path.join(this.stateDir, "packages", `${slug}-${hash}`);
    if (!fs.existsSync(dir)) {
      fs.mkdirSync(path.dirname(dir), { recursive: true });
      const tmp = `${dir}.tmp`;
      fs.rmSync(tmp, { recursive: true, force: true });
      unzip(spec.archive, tmp);
      fs.renameSync(tmp, dir);
    }
    const files = spec.files ?? {};
    const replacePaths = (v: string) => Object.entries(files).reduce((s, [from, to]) => s.split(from).join(to), v);
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      LANG: "C.UTF-8",
      TZ: "UTC",
      ...Object.fromEntries(Object.entries(spec.env).map(([k, v]) => [k, replacePaths(v)])),
    };
    const configFile = path.join(this.stateDir, `${slug}-${hash}-${process.hrtime.bigint()}.json`);
    const config: Record<string, unknown> = {
      dir, entry: spec.entry, timeoutSeconds: spec.timeoutSeconds, publicCa: this.publicCaFile,
      networkFile: this.networkFile, network: spec.network ?? {}, clockFile: this.clockFile,
    };
    const node = (host: string, nodePath?: string) => ({ command: process.execPath, args: ["--require", path.join(HOSTS_DIR, "net-preload.cjs"), path.join(HOSTS_DIR, host), configFile], nodePath });
    const python = (host: string, paths: string[]) => ({ command: "python3", args: ["-B", path.join(HOSTS_DIR, "python", host), configFile], pythonPath: paths });
    let plan: { command: string; args: string[]; nodePath?: string; pythonPath?: string[] };
    switch (`${spec.platform}/${spec.language}`) {
      case "aws-lambda/node":
        env.LAMBDA_TASK_ROOT = dir;
        plan = node("aws-lambda-node.cjs", lambdaRuntimeModules(this.stateDir));
        break;
      case "aws-lambda/python":
        env.LAMBDA_TASK_ROOT = dir;
        plan = python("aws_lambda_python.py", [dir]);
        break;
      case "gcp-functions/node": {
        const declared = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).dependencies?.["@google-cloud/functions-framework"];
        const installed = FRAMEWORK_VERSION();
        if (declared && declared !== installed) this.log(spec.name, `[runner] the package declares @google-cloud/functions-framework ${declared}; the runner serves it with ${installed}`);
        config.frameworkMain = path.join(path.dirname(require.resolve("@google-cloud/functions-framework")), "main.js");
        Object.assign(env, { PORT: "0", FUNCTION_TARGET: spec.entry ?? "", FUNCTION_SIGNATURE_TYPE: env.FUNCTION_SIGNATURE_TYPE ?? "http", NODE_ENV: "production" });
        plan = node("gcp-functions-node.cjs");
        break;
      }
      case "gcp-functions/python":
        Object.assign(env, { PORT: "0", FUNCTION_TARGET: spec.entry ?? "", FUNCTION_SIGNATURE_TYPE: env.FUNCTION_SIGNATURE_TYPE ?? "http" });
        plan = python("gcp_functions_python.py", [path.join(HOSTS_DIR, "python", "gcp"), dir]);
        break;
      case "azure-functions/node":
        plan = node("azure-functions-node.cjs", path.join(HOSTS_DIR, "azure-worker-modules"));
        break;
      case "azure-functions/python":
        plan = python("azure_functions_python.py", [path.join(HOSTS_DIR, "python", "azure"), path.join(dir, ".python_packages", "lib", "site-packages"), dir]);
        break;
      default:
        throw new Error(`${spec.name}: no host for ${spec.platform}/${spec.language}`);
    }
    if (plan.nodePath) env.NODE_PATH = plan.nodePath;
    if (plan.pythonPath) Object.assign(env, { PYTHONPATH: plan.pythonPath.join(path.delimiter), PYTHONUNBUFFERED: "1", SSL_CERT_FILE: this.pythonTrustStore() });
    fs.writeFileSync(configFile, JSON.stringify(config));
    const proc = new HostProcess(spec.name, plan.command, plan.args, env, dir, spec.timeoutSeconds * 1000 + 1000, (line) => this.log(spec.name, line, spec.id));
    const start = async () => {
      const ready = await proc.start();
      if (ready.error) this.log(spec.name, `[runner] ${spec.name} failed to load: ${ready.error.type}: ${ready.error.message}`);
      return ready;
    };
    const registrations = spec.startAtDeploy ? (await start()).registrations : undefined;
    return {
      id: spec.id,
      url: async () => { const ready = await start().catch(() => undefined); return ready?.port ? `http://127.0.0.1:${ready.port}` : undefined; },
      registrations,
      invoke: (request: unknown): Promise<InvocationResult> => proc.invoke(request),
      stop: () => proc.stop(),
    };
  }

  /** Python's default trust (the system store) plus the runner's public authority, like a public root. */
  private pythonTrustStore(): string {
    const file = path.join(this.stateDir, "python-trust.pem");
    if (!fs.existsSync(file)) {
      const system = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"].find((f) => fs.existsSync(f));
      fs.writeFileSync(file, (system ? fs.readFileSync(system, "utf8") : "") + "\n" + fs.readFileSync(this.publicCaFile, "utf8"));
    }
    return file;
  }
}
