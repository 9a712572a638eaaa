import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { FunctionInstance, FunctionLaunch, FunctionLauncher, InvocationResult, LocalExec, NodeRun, ProcessOutcome } from "@polycloud/core";
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
 * it; platform paths (`/var/runtime/ca-cert.pem`, `/opt` of Lambda layers) are replaced by the
 * runner's files, and CA certificates the runner stands in for by the runner's authorities.
 */
export class ProcessLauncher implements FunctionLauncher {
  private readonly instances = new Set<HostProcess>();

  constructor(
    private readonly stateDir: string,
    private readonly networkFile: string,
    private readonly clockFile: string,
    private readonly publicCaFile: string,
    private readonly log: (source: string, line: string, component?: string) => void,
    /** The runner network's certificate substitution (RunnerNetwork.substituteCertificates). */
    private readonly substitute: (pem: string) => string | undefined = () => undefined,
  ) {}

  /** A zip unpacked once per content hash under `packages/`. */
  private unpacked(archive: string, slug: string): string {
    const hash = createHash("sha256").update(fs.readFileSync(archive)).digest("hex").slice(0, 16);
    const dir = path.join(this.stateDir, "packages", `${slug}-${hash}`);
    if (!fs.existsSync(dir)) {
      fs.mkdirSync(path.dirname(dir), { recursive: true });
      const tmp = `${dir}.tmp`;
      fs.rmSync(tmp, { recursive: true, force: true });
      unzip(archive, tmp);
      fs.renameSync(tmp, dir);
    }
    return dir;
  }

  /** The function's /opt: its layers unpacked in order (a later layer's file wins), shared by content. */
  private opt(layers: readonly string[]): string | undefined {
    if (!layers.length) return undefined;
    const dirs = layers.map((l) => this.unpacked(l, "layer"));
    if (dirs.length === 1) return dirs[0];
    const merged = path.join(this.stateDir, "packages", `opt-${createHash("sha256").update(dirs.join("\n")).digest("hex").slice(0, 16)}`);
    if (!fs.existsSync(merged)) {
      const tmp = `${merged}.tmp`;
      fs.rmSync(tmp, { recursive: true, force: true });
      for (const d of dirs) fs.cpSync(d, tmp, { recursive: true, force: true });
      fs.renameSync(tmp, merged);
    }
    return merged;
  }

  /**
   * A value of the function's environment as the runner hands it over: CA certificates given as
   * PEM text, or as a PEM file the value names, with the runner's stand-ins for the roots it
   * replaces (the file copied, never edited in place).
   */
  private trusted(value: string): string {
    if (value.includes("-----BEGIN CERTIFICATE-----")) return this.substitute(value) ?? value;
    if (!path.isAbsolute(value) || !/\.(pem|crt|cer)$/i.test(value) || !fs.existsSync(value)) return value;
    const pem = this.substitute(fs.readFileSync(value, "utf8"));
    if (!pem) return value;
    const file = path.join(this.stateDir, "trust", `${createHash("sha256").update(pem).digest("hex").slice(0, 16)}.pem`);
    if (!fs.existsSync(file)) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, pem);
    }
    return file;
  }

  async launch(spec: FunctionLaunch): Promise<FunctionInstance> {
    const slug = spec.id.replace(/[^A-Za-z0-9_-]/g, "_");
    const dir = this.unpacked(spec.archive, slug);
    const hash = path.basename(dir).slice(slug.length + 1);
    const opt = this.opt(spec.layers ?? []);
    const files = spec.files ?? {};
    const replacePaths = (v: string) => {
      const mapped = Object.entries(files).reduce((s, [from, to]) => s.split(from).join(to), v);
      return opt && (mapped === "/opt" || mapped.startsWith("/opt/")) ? path.join(opt, mapped.slice(4)) : mapped;
    };
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      LANG: "C.UTF-8",
      TZ: "UTC",
      ...Object.fromEntries(Object.entries(spec.env).map(([k, v]) => [k, this.trusted(replacePaths(v))])),
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
        // Lambda's NODE_PATH: the layers' nodejs/node_modules, then the runtime's modules.
        plan = node("aws-lambda-node.cjs", [...(opt ? [path.join(opt, "nodejs", "node_modules")] : []), lambdaRuntimeModules(this.stateDir)].join(path.delimiter));
        break;
      case "aws-lambda/python":
        env.LAMBDA_TASK_ROOT = dir;
        plan = python("aws_lambda_python.py", [dir, ...(opt ? [path.join(opt, "python")] : [])]);
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
    this.instances.add(proc);
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
      warm: async () => { await start().catch(() => undefined); },
      invoke: (request: unknown): Promise<InvocationResult> => proc.invoke(request),
      stop: async () => { this.instances.delete(proc); await proc.stop(); },
    };
  }

  /** Stops every instance still running (a deploy that failed half-way). */
  async stopAll(): Promise<void> {
    await Promise.all([...this.instances].map((p) => p.stop()));
    this.instances.clear();
  }

  /** Runs a program to completion, its output streamed to the log and returned. */
  private run(name: string, command: string, args: readonly string[], env: Record<string, string>, cwd: string, timeoutSeconds: number): Promise<ProcessOutcome> {
    return new Promise((resolve) => {
      const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
      let output = "";
      const lines = (stream: NodeJS.ReadableStream | null) => {
        let buf = "";
        stream?.setEncoding("utf8");
        stream?.on("data", (d: string) => {
          output += d;
          buf += d;
          for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            if (line.trim()) this.log(name, line);
          }
        });
        stream?.on("end", () => { if (buf.trim()) this.log(name, buf); });
      };
      lines(child.stdout);
      lines(child.stderr);
      const timer = setTimeout(() => { output += `\n[runner] ${name} timed out after ${timeoutSeconds} s\n`; child.kill("SIGKILL"); }, timeoutSeconds * 1000);
      child.on("error", (err) => { clearTimeout(timer); resolve({ code: 127, output: `${output}${err.message}\n` }); });
      child.on("close", (code, signal) => { clearTimeout(timer); resolve({ code: code ?? (signal ? 128 : 1), output }); });
    });
  }

  async runNode(spec: NodeRun): Promise<ProcessOutcome> {
    const dir = fs.mkdtempSync(path.join(this.stateDir, "run-"));
    const configFile = path.join(dir, "config.json");
    fs.writeFileSync(configFile, JSON.stringify({ publicCa: this.publicCaFile, networkFile: this.networkFile, network: spec.network ?? {}, clockFile: this.clockFile }));
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8", TZ: "UTC", HOME: dir, ...Object.fromEntries(Object.entries(spec.env).map(([k, v]) => [k, this.trusted(v)])), POLYCLOUD_RUNNER_NET_CONFIG: configFile };
    try {
      return await this.run(spec.name, process.execPath, ["--require", path.join(HOSTS_DIR, "net-preload.cjs"), ...spec.args], env, dir, spec.timeoutSeconds);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  /**
   * A local-exec provisioner: the interpreter with the command, the stand-in CLIs first on PATH
   * (each a small script handing its arguments to the emulation), and curl configured for the
   * runner's network (its host names, the public authority) through its config file.
   */
  async localExec(spec: LocalExec): Promise<ProcessOutcome> {
    const dir = fs.mkdtempSync(path.join(this.stateDir, "exec-"));
    // The runner's apps are loaded when the deploy step runs: the waits a deploy script makes for
    // a cloud's start-up are cut to a second at most.
    const tools: NonNullable<LocalExec["tools"]> = {
      sleep: async (args) => { await new Promise((r) => setTimeout(r, Math.min(Number(args[0]) || 0, 1) * 1000)); return { code: 0 }; },
      ...spec.tools,
    };
    const server = http.createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (d: string) => { body += d; });
      req.on("end", async () => {
        const tool = tools[decodeURIComponent(String(req.url).slice(1))];
        const out = tool ? await tool(JSON.parse(body)).catch((err: Error) => ({ code: 1, stderr: `${err.message}\n` })) : { code: 127, stderr: "not a runner tool\n" };
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(out));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    try {
      const bin = path.join(dir, "bin");
      fs.mkdirSync(bin);
      for (const name of Object.keys(tools)) {
        fs.writeFileSync(path.join(bin, name), `#!${process.execPath}
// ${name} as the local runner answers it (stand-in for the real CLI).
const req = require("node:http").request({ host: "127.0.0.1", port: ${port}, path: "/${encodeURIComponent(name)}", method: "POST" }, (res) => {
  let b = ""; res.setEncoding("utf8"); res.on("data", (d) => b += d);
  res.on("end", () => { const o = JSON.parse(b); if (o.stdout) process.stdout.write(o.stdout); if (o.stderr) process.stderr.write(o.stderr); process.exitCode = o.code; });
});
req.end(JSON.stringify(process.argv.slice(2)));
`, { mode: 0o755 });
      }
      const routes = JSON.parse(fs.readFileSync(this.networkFile, "utf8")) as Record<string, string>;
      const curlrc = [`cacert = "${this.publicCaFile}"`, ...Object.entries(routes).map(([from, to]) => `connect-to = "${from}:${to}"`)];
      fs.writeFileSync(path.join(dir, ".curlrc"), `${curlrc.join("\n")}\n`);
      const env = {
        PATH: `${bin}${path.delimiter}${process.env.PATH ?? "/usr/bin:/bin"}`, LANG: "C.UTF-8", TZ: "UTC", HOME: dir, CURL_HOME: dir, TMPDIR: dir,
        ...spec.env,
      };
      const [command, ...args] = spec.interpreter?.length ? spec.interpreter : ["/bin/sh", "-c"];
      return await this.run(spec.name, command, [...args, spec.command], env, dir, spec.timeoutSeconds);
    } finally {
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
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
