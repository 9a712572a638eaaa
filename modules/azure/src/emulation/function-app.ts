import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { EmulationHost, FunctionInstance, FunctionRegistration, HttpAnswer, HttpExchange, archiveFile, componentKeyOf, nestedBlock, textAnswer } from "@polycloud/core";
import { AzurePrincipal, Entra } from "./entra";
import { matchRoute } from "./routes";
import { SbMessage, SbQueue, ServiceBus } from "./service-bus";
import { AzureValues } from "./values";

/** Where a request to an app's own host name comes from (access restrictions). */
export type AppSource = "internet" | "api-management";

export interface FunctionApp {
  readonly address: string;
  readonly key: string;
  readonly name: string;
  readonly hostname: string;
  readonly id: string;
  readonly settings: Record<string, string>;
  readonly identities: AzurePrincipal[];
  readonly config: any;
  readonly routePrefix: string;
  readonly keys: { functionKey: string; masterKey: string };
  instance: FunctionInstance;
}

const timeSpan = (v: string | undefined, fallback: number) => {
  const m = /^(\d+):(\d+):(\d+)$/.exec(v ?? "");
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : fallback;
};

const typed = (v: unknown) => (typeof v === "number" && Number.isInteger(v) ? { int: v } : typeof v === "string" ? { string: v } : { json: JSON.stringify(v) });

/**
 * Azure Functions apps (Flex Consumption) as the Functions host runs them: the package from the
 * deployment container, the app settings as the environment, the identity endpoint for the
 * assigned identities, and the functions the app registers while loading (v4 model / function_app.py).
 * HTTP triggers answer on `https://<app>.azurewebsites.net/<routePrefix>/<route>` after the
 * platform's checks: access restrictions (site_config.ip_restriction), App Service
 * authentication (auth_settings_v2 with active_directory_v2), and the trigger's authLevel
 * (function: a host or function key in x-functions-key or ?code=). Service Bus triggers receive
 * with the identity of `<connection>__clientId` (Azure Service Bus Data Receiver on the queue),
 * complete on success and abandon on failure. Event Grid triggers are invoked by name.
 */
export class FunctionApps {
  readonly apps = new Map<string, FunctionApp>();

  constructor(private readonly host: EmulationHost, private values: AzureValues, private readonly entra: Entra, private readonly bus: ServiceBus) {
    for (const [address] of this.appResources()) {
      values.hostKeys.set(address, { functionKey: randomBytes(30).toString("base64url"), masterKey: randomBytes(30).toString("base64url") });
    }
  }

  private appResources(values = this.values): [string, any, string][] {
    return ["azurerm_function_app_flex_consumption", "azurerm_linux_function_app"].flatMap((type) => values.resources(type).map(([a, r]) => [a, r, type] as [string, any, string]));
  }

  async start(): Promise<void> {
    await Promise.all(this.appResources().map(([address, raw, type]) => this.launch(address, raw, type)));
  }

  async reload(next: AzureValues): Promise<string[]> {
    for (const [address, keys] of this.values.hostKeys) next.hostKeys.set(address, keys);
    this.values = next;
    const changed: string[] = [];
    for (const [address, raw, type] of this.appResources(next)) {
      const current = this.apps.get(address);
      const config = { ...next.resolve(raw), archive: this.archiveOf(raw) };
      if (current && JSON.stringify(current.config) === JSON.stringify(config)) continue;
      await current?.instance.stop();
      changed.push((await this.launch(address, raw, type)).key);
    }
    return changed;
  }

  /** The package: the blob uploaded into the container the app deploys from. */
  private archiveOf(raw: any): string {
    const container = this.values.refOf(String(raw.storage_container_endpoint ?? "").replace(/^.*?(\$\{azurerm_storage_container\.)/, "$1"));
    const blob = this.values.resources("azurerm_storage_blob").find(([, b]) => container && String(b.storage_container_name).includes(`azurerm_storage_container.${container.name}.`));
    if (!blob?.[1].source) throw new Error(`runner (azure): ${raw.name}: no package blob in its deployment container`);
    return path.join(this.values.stack.dir, String(blob[1].source));
  }

  private async launch(address: string, raw: any, type: string): Promise<FunctionApp> {
    const archive = this.archiveOf(raw);
    const config = { ...this.values.resolve(raw), archive };
    const name = String(config.name);
    const hostname = `${name}.azurewebsites.net`;
    const identities = (raw.identity?.identity_ids ?? []).map((ref: unknown) => this.entra.userAssigned(ref));
    if (String(raw.identity?.type ?? "").includes("SystemAssigned")) identities.push(this.entra.systemAssigned(type, address));
    const secret = randomBytes(16).toString("hex");
    const port = await this.host.network.listen(this.entra.identityEndpoint(secret, identities));
    const settings: Record<string, string> = Object.fromEntries(Object.entries(config.app_settings ?? {}).map(([k, v]) => [k, String(v)]));
    const language = String(config.runtime_name ?? "node") === "python" ? "python" : "node";
    const hostJson = JSON.parse(archiveFile(archive, "host.json") ?? "{}");
    const instance = await this.host.functions.launch({
      name, id: componentKeyOf(address) ?? address, platform: "azure-functions", language, archive,
      env: {
        ...settings, FUNCTIONS_WORKER_RUNTIME: language, FUNCTIONS_EXTENSION_VERSION: "~4", WEBSITE_SITE_NAME: name, WEBSITE_HOSTNAME: hostname,
        // The app's language version (runtime_version): the Python worker isolates the package's
        // dependencies by default from 3.13 (the stand-in azure.functions reads it).
        FUNCTIONS_WORKER_RUNTIME_VERSION: String(config.runtime_version ?? ""),
        WEBSITE_INSTANCE_ID: randomBytes(16).toString("hex"), IDENTITY_ENDPOINT: `http://127.0.0.1:${port}/msi/token`, IDENTITY_HEADER: secret,
      },
      timeoutSeconds: timeSpan(settings.AzureFunctionsJobHost__functionTimeout ?? hostJson.functionTimeout, 1800),
      // The host loads the app to index its functions (the triggers come from the code).
      startAtDeploy: true,
    });
    const app: FunctionApp = {
      address, key: componentKeyOf(address) ?? address, name, hostname, id: String(this.values.value(type, address, raw, ["id"])), settings, identities, config,
      routePrefix: hostJson.extensions?.http?.routePrefix ?? "api", keys: this.values.hostKeys.get(address)!, instance,
    };
    this.apps.set(address, app);
    for (const reg of instance.registrations ?? []) if (reg.trigger.type === "serviceBusTrigger") this.listen(app, reg);
    return app;
  }

  private setting(app: FunctionApp, text: unknown): string {
    return String(text ?? "").replace(/%([^%]+)%/g, (_, k) => app.settings[k] ?? "");
  }

  /** A Service Bus queue trigger: peek-lock receive, invoke, complete or abandon. */
  private listen(app: FunctionApp, reg: FunctionRegistration): void {
    const connection = String(reg.trigger.connection ?? "");
    const namespace = app.settings[`${connection}__fullyQualifiedNamespace`];
    const queue = namespace ? this.bus.byName(namespace, this.setting(app, reg.trigger.queueName)) : undefined;
    if (!queue) { this.host.log(app.name, `[host] ${reg.name}: Service Bus connection '${connection}' or queue '${this.setting(app, reg.trigger.queueName)}' is not configured; the trigger does not start`); return; }
    const clientId = app.settings[`${connection}__clientId`];
    const identity = app.identities.find((i) => i.clientId === clientId) ?? app.identities[0];
    if (!identity || !this.entra.hasRole(identity, "Azure Service Bus Data Receiver", queue.id)) {
      this.host.log(app.name, `[host] ${reg.name}: Unauthorized: the identity may not receive from ${queue.name} (no Azure Service Bus Data Receiver)`);
      return;
    }
    const max = Number(app.settings.AzureFunctionsJobHost__extensions__serviceBus__maxConcurrentCalls ?? 16);
    let busy = 0;
    const pump = () => {
      while (busy < max) {
        const m = this.bus.receive(queue);
        if (!m) return;
        busy++;
        void this.host.clock.track(this.deliver(app, reg, queue, m).finally(() => { busy--; pump(); }));
      }
    };
    queue.listeners.push(pump);
    this.bus.wake(queue);
  }

  private async deliver(app: FunctionApp, reg: FunctionRegistration, queue: SbQueue, m: SbMessage): Promise<void> {
    const triggerMetadata: Record<string, unknown> = {
      MessageId: typed(m.messageId), DeliveryCount: typed(m.deliveryCount), ApplicationProperties: { json: JSON.stringify(m.properties) },
      EnqueuedTimeUtc: typed(new Date(m.enqueuedAt).toISOString()), ExpiresAtUtc: typed(new Date(m.expiresAt).toISOString()), SequenceNumber: typed(m.sequenceNumber),
      LockToken: typed(`${m.sequenceNumber}-${m.deliveryCount}`),
      ...(m.contentType ? { ContentType: typed(m.contentType) } : {}), ...(m.correlationId ? { CorrelationId: typed(m.correlationId) } : {}), ...(m.subject ? { Subject: typed(m.subject) } : {}),
    };
    const result = await app.instance.invoke({ function: reg.name, inputData: [{ name: reg.trigger.bindingName ?? reg.trigger.name, data: { string: m.body.toString("utf8") } }], triggerMetadata });
    this.host.record({ function: app.key, trigger: this.bus.key(queue), ok: result.ok, at: this.host.clock.now(), detail: result.ok ? undefined : `${result.error?.type}: ${result.error?.message}` });
    if (result.ok) this.bus.complete(queue, m);
    else this.bus.abandon(queue, m);
  }

  /** Invokes an Event Grid trigger by function name; false when the app has no such Event Grid function. */
  async invokeEventGrid(app: FunctionApp, functionName: string, event: unknown, trigger: string): Promise<{ delivered: boolean; ok: boolean; detail?: string }> {
    const reg = (app.instance.registrations ?? []).find((r) => r.name.toLowerCase() === functionName.toLowerCase());
    if (!reg || reg.trigger.type !== "eventGridTrigger") return { delivered: false, ok: false, detail: `${app.name} has no Event Grid function '${functionName}' (registered: ${(app.instance.registrations ?? []).map((r) => `${r.name} (${r.trigger.type})`).join(", ") || "none"})` };
    const result = await this.host.clock.track(app.instance.invoke({ function: reg.name, inputData: [{ name: reg.trigger.bindingName ?? reg.trigger.name, data: { json: JSON.stringify(event) } }], triggerMetadata: {} }));
    this.host.record({ function: app.key, trigger, ok: result.ok, at: this.host.clock.now(), detail: result.ok ? undefined : `${result.error?.type}: ${result.error?.message}` });
    return { delivered: true, ok: result.ok, detail: result.error?.message };
  }

  private restricted(app: FunctionApp, source: AppSource): boolean {
    const site = nestedBlock<any>(app.config.site_config);
    const rules: any[] = site?.ip_restriction ?? [];
    const defaultAction = String(site?.ip_restriction_default_action ?? (rules.some((r) => (r.action ?? "Allow") === "Allow") ? "Deny" : "Allow"));
    for (const r of [...rules].sort((a, b) => Number(a.priority ?? 65000) - Number(b.priority ?? 65000))) {
      const matches = (r.service_tag === "ApiManagement" && source === "api-management") || r.ip_address === "127.0.0.1/32" || r.ip_address === "0.0.0.0/0";
      if (matches) return (r.action ?? "Allow") !== "Allow";
    }
    return defaultAction === "Deny";
  }

  /**
   * App Service authentication (auth_settings_v2) in front of the host: outside its excluded
   * paths, a request needs an Entra token for one of the allowed audiences (active_directory_v2:
   * allowed_audiences, else client_id) of an allowed identity or application when lists are
   * set; without one, the unauthenticated action (401, 403 or a redirect) when authentication is
   * required. Returns the refusal, or undefined.
   */
  private easyAuth(app: FunctionApp, req: HttpExchange, path: string): HttpAnswer | undefined {
    const auth = nestedBlock<any>(app.config.auth_settings_v2);
    if (!auth || auth.auth_enabled !== true) return undefined;
    if ((auth.excluded_paths ?? []).some((p: string) => path === p || path.startsWith(p.endsWith("/") ? p : `${p}/`))) return undefined;
    const aad = nestedBlock<any>(auth.active_directory_v2);
    const audiences: string[] = aad ? [...(aad.allowed_audiences ?? []), ...(aad.allowed_audiences?.length ? [] : [aad.client_id])] : [];
    const principal = audiences.map((a) => this.entra.who(req.headers.authorization, a)).find(Boolean);
    const allowed = principal && (!aad?.allowed_identities?.length || aad.allowed_identities.includes(principal.principalId))
      && (!aad?.allowed_applications?.length || (principal.clientId !== undefined && aad.allowed_applications.includes(principal.clientId)));
    if (allowed || auth.require_authentication !== true) return undefined;
    const action = String(auth.unauthenticated_action ?? "RedirectToLoginPage");
    if (action === "Return403") return textAnswer(403, "You do not have permission to view this directory or page.");
    if (action === "Return401" || !aad) return textAnswer(401, "You do not have permission to view this directory or page.");
    return { status: 302, headers: { location: `${String(aad.tenant_auth_endpoint).replace(/\/$/, "")}/oauth2/v2.0/authorize` }, body: "" };
  }

  /** A request to the app's host name. */
  async handle(given: FunctionApp, req: HttpExchange, source: AppSource, trigger: string): Promise<HttpAnswer> {
    // Routes hold the app they were made with; a reload may have replaced it since.
    const app = this.apps.get(given.address) ?? given;
    if (this.restricted(app, source)) return textAnswer(403, "Ip Forbidden");
    const url = new URL(req.url, `https://${app.hostname}`);
    const refused = this.easyAuth(app, req, url.pathname);
    if (refused) return refused;
    const regs = (app.instance.registrations ?? []).filter((r) => r.trigger.type === "httpTrigger");
    let match: { reg: FunctionRegistration; params: Record<string, string> } | undefined;
    for (const reg of regs) {
      const methods = ((reg.trigger.methods as string[] | undefined) ?? []).map((m) => m.toUpperCase());
      if (methods.length && !methods.includes(req.method)) continue;
      const params = matchRoute(app.routePrefix, String(reg.trigger.route ?? reg.name), url.pathname);
      if (params) { match = { reg, params }; break; }
    }
    if (!match) return textAnswer(404, "");
    const level = String(match.reg.trigger.authLevel ?? "function").toLowerCase();
    if (level !== "anonymous") {
      const key = req.headers["x-functions-key"] ?? url.searchParams.get("code") ?? "";
      const valid = level === "admin" ? [app.keys.masterKey] : [app.keys.functionKey, app.keys.masterKey];
      if (!valid.includes(key)) return textAnswer(401, "");
    }
    const headers = { ...req.headers };
    const rpc = {
      method: req.method, url: url.href, headers, query: Object.fromEntries(url.searchParams), params: match.params,
      ...(req.body.length ? { body: { string: req.body.toString("utf8") } } : {}),
    };
    const result = await this.host.clock.track(app.instance.invoke({ function: match.reg.name, inputData: [{ name: match.reg.trigger.bindingName ?? match.reg.trigger.name, data: { http: rpc } }], triggerMetadata: {} }));
    const http = (result.value as any)?.returnValue?.http ?? (result.value as any)?.outputData?.find((o: any) => o.data?.http)?.data?.http;
    this.host.record({ function: app.key, trigger, ok: result.ok && Number(http?.statusCode ?? 200) < 500, at: this.host.clock.now(), detail: result.ok ? undefined : `${result.error?.type}: ${result.error?.message}` });
    if (!result.ok) return textAnswer(500, "");
    if (!http) return { status: 204, body: "" };
    const body = http.body?.bytes !== undefined ? Buffer.from(String(http.body.bytes), "base64") : http.body?.string !== undefined ? String(http.body.string) : "";
    return { status: Number(http.statusCode ?? 200), headers: http.headers ?? {}, body };
  }

  async stop(): Promise<void> {
    await Promise.all([...this.apps.values()].map((a) => a.instance.stop()));
  }

  byId(id: string): FunctionApp | undefined {
    return [...this.apps.values()].find((a) => a.id.toLowerCase() === id.toLowerCase());
  }
}

