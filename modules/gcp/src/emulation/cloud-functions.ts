import * as path from "node:path";
import { EmulationHost, FunctionInstance, HttpAnswer, HttpExchange, componentKeyOf, parseTraversal, textAnswer } from "@polycloud/core";
import { GcpIdentity } from "./identity";
import { GcpValues } from "./values";

/** Where a request to a function's own URL comes from, for its ingress setting. */
export type Source = "internet" | "internal" | "load-balancer";

export interface GcpFunction {
  readonly address: string;
  readonly key: string;
  readonly name: string;
  /** The function's own URL (`https://<name>-<hash>-<region>.a.run.app`). */
  readonly url: string;
  /** `projects/<p>/locations/<r>/services/<name>`: what Cloud Run IAM bindings name. */
  readonly service: string;
  readonly email: string;
  readonly config: any;
  instance: FunctionInstance;
}

/**
 * Cloud Functions (2nd gen) on Cloud Run: each function served from its package by the
 * Functions Framework (the entry point, the signature type, PORT), with its service account's
 * metadata server, its environment (including Secret Manager values given as variables), and in
 * front of it what Cloud Run enforces on the function's own URL: the ingress setting
 * (ALLOW_INTERNAL_ONLY refuses the internet) and IAM (roles/run.invoker, checked on a Google ID
 * token whose audience is the URL), before the request reaches the framework.
 */
export class CloudFunctions {
  readonly functions = new Map<string, GcpFunction>();

  constructor(private readonly host: EmulationHost, private values: GcpValues, private readonly identity: GcpIdentity) {}

  async start(): Promise<void> {
    await Promise.all(this.values.resources("google_cloudfunctions2_function").map(([address, raw]) => this.launch(address, raw)));
  }

  async reload(next: GcpValues): Promise<string[]> {
    const changed: string[] = [];
    for (const [address, raw] of next.resources("google_cloudfunctions2_function")) {
      const current = this.functions.get(address);
      this.values = next;
      const config = next.resolve({ ...raw, build_config: { ...raw.build_config, source: undefined } });
      const archive = this.archiveOf(raw);
      if (current && JSON.stringify(current.config) === JSON.stringify({ ...config, archive })) continue;
      await current?.instance.stop();
      changed.push((await this.launch(address, raw)).key);
    }
    return changed;
  }

  private archiveOf(raw: any): string {
    const t = parseTraversal(String(raw.build_config?.source?.storage_source?.object ?? "").replace(/^\$\{|\}$/g, ""));
    const object = t ? this.values.resource(t.type, t.name) : undefined;
    if (!object?.source) throw new Error(`runner (gcp): ${raw.name}: build_config.source.storage_source.object names no uploaded package`);
    return path.join(this.values.stack.dir, String(object.source));
  }

  private async launch(address: string, raw: any): Promise<GcpFunction> {
    const archive = this.archiveOf(raw);
    const config = { ...this.values.resolve({ ...raw, build_config: { ...raw.build_config, source: undefined } }), archive };
    const name = String(config.name);
    const sc = config.service_config ?? {};
    const email = String(sc.service_account_email ?? `123456789012-compute@developer.gserviceaccount.com`);
    const secrets: Record<string, string> = {};
    for (const s of sc.secret_environment_variables ?? []) {
      const versions = this.values.resources("google_secret_manager_secret_version").filter(([, v]) => String(v.secret).includes(".")).map(([, v]) => this.values.resolve(v));
      const secret = versions.find((v) => String(v.secret).endsWith(`/secrets/${s.secret}`));
      secrets[s.key] = String(secret?.secret_data ?? "");
    }
    const runtime = String(config.build_config?.runtime ?? "");
    const metadata = await this.host.network.listen(this.identity.metadataHandler(email));
    const entry = String(config.build_config?.entry_point ?? "");
    const instance = await this.host.functions.launch({
      name, id: componentKeyOf(address) ?? address, platform: "gcp-functions", language: runtime.startsWith("python") ? "python" : "node",
      archive, entry,
      env: { ...(sc.environment_variables ?? {}), ...secrets, K_SERVICE: name, K_REVISION: `${name}-00001-loc`, K_CONFIGURATION: name, FUNCTION_TARGET: entry, FUNCTION_SIGNATURE_TYPE: "http" },
      network: { "169.254.169.254:80": `127.0.0.1:${metadata}`, "metadata.google.internal:80": `127.0.0.1:${metadata}` },
      timeoutSeconds: Number(sc.timeout_seconds ?? 60),
    });
    const url = String(this.values.value("google_cloudfunctions2_function", address, raw, ["url"]));
    const fn: GcpFunction = { address, key: componentKeyOf(address) ?? address, name, url, service: `projects/${this.values.project}/locations/${this.values.region}/services/${name}`, email, config, instance };
    this.functions.set(address, fn);
    return fn;
  }

  byUrl(url: string): GcpFunction | undefined {
    const host = new URL(url).host;
    return [...this.functions.values()].find((f) => new URL(f.url).host === host);
  }

  /** Everything Cloud Run checks on a request to the function's URL, then the function. */
  async handle(given: GcpFunction, req: HttpExchange, source: Source, trigger: string): Promise<HttpAnswer> {
    // Routes hold the function they were made with; a reload may have replaced it since.
    const fn = this.functions.get(given.address) ?? given;
    const ingress = String(fn.config.service_config?.ingress_settings ?? "ALLOW_ALL");
    const allowed = ingress === "ALLOW_ALL" || source === "internal" || (ingress === "ALLOW_INTERNAL_AND_GCLB" && source === "load-balancer");
    if (!allowed) return textAnswer(404, "Error: Page not found. The requested URL was not found on this server.");
    const invoker = (member: string) => this.identity.hasRole(member, "roles/run.invoker", ({ type, config }) =>
      (type === "google_cloud_run_v2_service_iam_member" || type === "google_cloud_run_v2_service_iam_binding" || type === "google_cloud_run_service_iam_member")
        ? [fn.service, fn.name].includes(String(config.name ?? config.service))
        : type.startsWith("google_cloudfunctions2_function_iam") ? [fn.name, fn.config.id].includes(String(config.cloud_function)) : false);
    if (!invoker("allUsers")) {
      const auth = req.headers.authorization;
      if (!auth?.startsWith("Bearer ")) return textAnswer(403, "Your client does not have permission to get URL from this server.");
      const email = await this.identity.verifyIdToken(auth.slice(7), [fn.url, `${fn.url}/`]);
      if (!email) return textAnswer(401, "Your client does not have permission to the requested URL (the token is not a valid Google ID token for this service).");
      if (!invoker(`serviceAccount:${email}`)) return textAnswer(403, `${email} does not have roles/run.invoker on ${fn.name}.`);
    }
    const answer = await this.host.clock.track(this.forward(fn, req));
    this.host.record({ function: fn.key, trigger, ok: answer.status < 500, at: this.host.clock.now(), detail: answer.status >= 400 ? `HTTP ${answer.status}` : undefined });
    return answer;
  }

  private async forward(fn: GcpFunction, req: HttpExchange): Promise<HttpAnswer> {
    const base = await fn.instance.url();
    if (!base) return textAnswer(503, "the function did not start");
    const headers: Record<string, string> = { ...req.headers, "x-forwarded-proto": "https", "x-cloud-trace-context": `${Date.now().toString(16)}/1;o=1` };
    delete headers["content-length"];
    const res = await fetch(`${base}${req.url}`, { method: req.method, headers, body: ["GET", "HEAD"].includes(req.method) ? undefined : req.body, signal: AbortSignal.timeout((Number(fn.config.service_config?.timeout_seconds ?? 60) + 5) * 1000) })
      .catch((err) => ({ status: 504, headers: new Headers(), arrayBuffer: async () => Buffer.from(String(err)) }) as unknown as Response);
    const out: Record<string, string> = {};
    res.headers.forEach((v, k) => { if (!["content-length", "transfer-encoding", "connection", "keep-alive"].includes(k)) out[k] = v; });
    return { status: res.status, headers: out, body: Buffer.from(await res.arrayBuffer()) };
  }

  async stop(): Promise<void> {
    await Promise.all([...this.functions.values()].map((f) => f.instance.stop()));
  }
}
