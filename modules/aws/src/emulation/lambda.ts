import { randomUUID } from "node:crypto";
import * as path from "node:path";
import { EmulationHost, FunctionInstance, HttpAnswer, HttpExchange, InvocationResult, componentKeyOf, jsonAnswer } from "@polycloud/core";
import { AwsIam, Principal, allows, statementsOf } from "./iam";
import { verifySignedRequest } from "./sigv4";
import { AwsValues } from "./values";

export interface LambdaFunction {
  readonly address: string;
  /** `<service>/function:<id>`. */
  readonly key: string;
  readonly name: string;
  readonly arn: string;
  readonly principal: Principal;
  readonly config: any;
  instance: FunctionInstance;
}

/** Who calls a function: an AWS service for a resource (API Gateway, EventBridge) or a role. */
export type Caller = { service: string; sourceArn: string } | { role: Principal };

/**
 * Lambda: each aws_lambda_function started from its package (`filename`) with the environment
 * Lambda gives it (its variables, the region, the role's temporary credentials, the handler);
 * synchronous and asynchronous invocation (retries spaced one then two minutes, the maximum
 * event age, on-failure destinations from aws_lambda_function_event_invoke_config); who may
 * invoke decided by aws_lambda_permission and the caller's identity policies; the Invoke API.
 */
export class LambdaService {
  readonly functions = new Map<string, LambdaFunction>();
  /** Sends to an SQS queue by ARN as `principal` (destinations, dead-letter queues); set by the SQS service. */
  sendToQueue?: (queueArn: string, body: string, attributes: Record<string, string>, sender: Caller) => Promise<string | undefined>;

  constructor(private readonly host: EmulationHost, private values: AwsValues, private readonly iam: AwsIam, private readonly files: Record<string, string>) {}

  async start(): Promise<void> {
    await Promise.all(this.values.resources("aws_lambda_function").map(([address, raw]) => this.launch(address, raw)));
  }

  /** Restarts the functions whose package or configuration changed in a re-synthesized stack. */
  async reload(next: AwsValues): Promise<string[]> {
    const changed: string[] = [];
    for (const [address, raw] of next.resources("aws_lambda_function")) {
      const current = this.functions.get(address);
      const config = next.resolve(raw);
      if (current && JSON.stringify(current.config) === JSON.stringify(config)) continue;
      await current?.instance.stop();
      this.values = next;
      changed.push((await this.launch(address, raw)).key);
    }
    this.values = next;
    return changed;
  }

  private async launch(address: string, raw: any): Promise<LambdaFunction> {
    const config = this.values.resolve(raw);
    const name = String(config.function_name);
    const principal = this.iam.principalOfRole(raw.role);
    const runtime = String(config.runtime ?? "");
    const env: Record<string, string> = {
      ...(config.environment?.variables ?? {}),
      AWS_REGION: this.values.region, AWS_DEFAULT_REGION: this.values.region,
      AWS_LAMBDA_FUNCTION_NAME: name, AWS_LAMBDA_FUNCTION_VERSION: "$LATEST", AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(config.memory_size ?? 128),
      AWS_LAMBDA_LOG_GROUP_NAME: config.logging_config?.log_group ?? `/aws/lambda/${name}`, AWS_LAMBDA_LOG_STREAM_NAME: `local/[$LATEST]${randomUUID().replace(/-/g, "")}`,
      AWS_LAMBDA_LOG_FORMAT: config.logging_config?.log_format === "JSON" ? "JSON" : "Text",
      AWS_ACCESS_KEY_ID: principal.accessKeyId, AWS_SECRET_ACCESS_KEY: principal.secretAccessKey, AWS_SESSION_TOKEN: principal.sessionToken,
      AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`, _HANDLER: String(config.handler), AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    };
    const instance = await this.host.functions.launch({
      name, id: componentKeyOf(address) ?? address, platform: "aws-lambda", language: runtime.startsWith("python") ? "python" : "node",
      archive: path.join(this.values.stack.dir, String(config.filename)), entry: String(config.handler), env,
      timeoutSeconds: Number(config.timeout ?? 3), files: this.files, layers: (config.layers ?? []).map((arn: string) => this.layerArchive(arn)),
    });
    const fn: LambdaFunction = { address, key: componentKeyOf(address) ?? address, name, arn: String(this.values.value("aws_lambda_function", address, raw, "arn")), principal, config, instance };
    this.functions.set(address, fn);
    return fn;
  }

  /** The package of a layer version the stack publishes (aws_lambda_layer_version.filename). */
  private layerArchive(arn: string): string {
    const address = this.values.find("aws_lambda_layer_version", arn);
    const filename = address && this.values.resource("aws_lambda_layer_version", address).filename;
    if (!filename) throw new Error(`runner (aws): layer ${arn} is not a layer version this stack publishes from a file`);
    return path.join(this.values.stack.dir, String(this.values.resolve(filename)));
  }

  /** The function an ARN (qualified or not), alias ARN or name designates. */
  resolve(ref: string): { fn: LambdaFunction; qualifier?: string } {
    const m = /^arn:aws:lambda:[^:]+:\d+:function:([^:]+)(?::(.+))?$/.exec(ref);
    const name = m ? m[1] : ref;
    const fn = [...this.functions.values()].find((f) => f.name === name);
    if (!fn) throw new Error(`runner (aws): no Lambda function ${ref}`);
    return { fn, qualifier: m?.[2] };
  }

  /** Resource policy (aws_lambda_permission) and, for roles, identity policy. */
  mayInvoke(fn: LambdaFunction, caller: Caller, qualifier?: string): boolean {
    const target = qualifier ? `${fn.arn}:${qualifier}` : fn.arn;
    if ("role" in caller && this.iam.roleAllows(caller.role, "lambda:InvokeFunction", target)) return true;
    for (const [, raw] of this.values.resources("aws_lambda_permission")) {
      const p = this.values.resolve(raw);
      if (String(p.function_name) !== fn.name && String(p.function_name) !== fn.arn) continue;
      if ((p.qualifier ?? undefined) !== (qualifier ?? undefined)) continue;
      if (!["lambda:InvokeFunction", "lambda:*"].includes(p.action)) continue;
      const statements = statementsOf({ Statement: [{ Effect: "Allow", Action: p.action, Resource: target, Principal: p.principal }] });
      const ok = allows(statements, "lambda:InvokeFunction", target, {}, (principal) => ("service" in caller ? principal === caller.service : principal === caller.role.roleArn || principal === this.values.account));
      const sourceOk = !p.source_arn || ("sourceArn" in caller && new RegExp(`^${String(p.source_arn).replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`).test(caller.sourceArn));
      if (ok && sourceOk) return true;
    }
    return false;
  }

  /** A synchronous invocation (RequestResponse). */
  async invoke(fn: LambdaFunction, event: unknown, trigger: string): Promise<InvocationResult> {
    const result = await this.host.clock.track(fn.instance.invoke(event));
    this.host.record({ function: fn.key, trigger, ok: result.ok, at: this.host.clock.now(), detail: result.ok ? undefined : `${result.error?.type}: ${result.error?.message}` });
    return result;
  }

  /**
   * An asynchronous invocation (Event): accepted at once; the function runs from Lambda's queue,
   * a failure is retried per the function's event invoke config, and when retries or the event
   * age run out the event goes to the on-failure destination (or is dropped, and logged).
   */
  invokeAsync(fn: LambdaFunction, event: unknown, trigger: string): void {
    const cfg = this.values.resources("aws_lambda_function_event_invoke_config").map(([, c]) => this.values.resolve(c)).find((c) => c.function_name === fn.name || c.function_name === fn.arn);
    const maxRetries = Number(cfg?.maximum_retry_attempts ?? 2);
    const maxAge = Number(cfg?.maximum_event_age_in_seconds ?? 21600) * 1000;
    const firstAt = this.host.clock.now();
    const requestId = randomUUID();
    const attempt = async (n: number): Promise<void> => {
      const result = await this.invoke(fn, event, trigger);
      if (result.ok) return;
      const delay = n === 0 ? 60_000 : 120_000;
      if (n < maxRetries && this.host.clock.now() + delay - firstAt <= maxAge) {
        this.host.clock.after(delay, () => attempt(n + 1), `lambda async retry ${fn.name}`);
        return;
      }
      const destination = cfg?.destination_config?.on_failure?.destination ?? fn.config.dead_letter_config?.target_arn;
      const record = {
        version: "1.0", timestamp: new Date(this.host.clock.now()).toISOString(),
        requestContext: { requestId, functionArn: `${fn.arn}:$LATEST`, condition: "RetriesExhausted", approximateInvokeCount: n + 1 },
        requestPayload: event, responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
        responsePayload: { errorType: result.error?.type, errorMessage: result.error?.message },
      };
      if (!destination || !String(destination).startsWith("arn:aws:sqs:") || !this.sendToQueue) {
        this.host.log("lambda", `${fn.name}: async invocation ${requestId} failed ${n + 1} times; no destination, the event is dropped`);
        return;
      }
      const sent = await this.sendToQueue(String(destination), JSON.stringify(record), {}, { role: fn.principal });
      if (!sent) this.host.log("lambda", `${fn.name}: could not send the failed event ${requestId} to ${destination}; it is dropped`);
    };
    void this.host.clock.track(attempt(0));
  }

  /** The Lambda Invoke API (`POST /2015-03-31/functions/<name>/invocations`), signed requests only. */
  async api(req: HttpExchange): Promise<HttpAnswer> {
    const m = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(new URL(req.url, "https://x").pathname);
    if (!m || req.method !== "POST") return jsonAnswer(404, { message: "Not Found" });
    const signed = verifySignedRequest(req, this.iam.secretOf);
    if (signed === undefined) return jsonAnswer(403, { message: "Missing Authentication Token" });
    if (typeof signed === "string") return jsonAnswer(403, { message: signed });
    let target;
    try { target = this.resolve(decodeURIComponent(m[1])); } catch { return jsonAnswer(404, { Type: "User", message: `Function not found: ${m[1]}` }); }
    const qualifier = new URL(req.url, "https://x").searchParams.get("Qualifier") ?? target.qualifier;
    const principal = this.iam.byAccessKey(signed.accessKeyId)!;
    if (!this.mayInvoke(target.fn, { role: principal }, qualifier ?? undefined)) {
      return jsonAnswer(403, { Type: "User", message: `User: ${principal.roleArn} is not authorized to perform: lambda:InvokeFunction on resource: ${target.fn.arn}` });
    }
    const event = req.body.length ? JSON.parse(req.body.toString("utf8")) : {};
    if ((req.headers["x-amz-invocation-type"] ?? "RequestResponse") === "Event") {
      this.invokeAsync(target.fn, event, "invoke");
      return { status: 202, body: "" };
    }
    const r = await this.invoke(target.fn, event, "invoke");
    return r.ok ? jsonAnswer(200, r.value ?? null) : jsonAnswer(200, { errorType: r.error?.type, errorMessage: r.error?.message }, { "x-amz-function-error": "Unhandled" });
  }

  async stop(): Promise<void> {
    await Promise.all([...this.functions.values()].map((f) => f.instance.stop()));
  }
}
