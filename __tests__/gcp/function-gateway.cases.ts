import { find, only, resources } from "../helpers/synth";
import { dev, gcpProblems, prod, synthGcp, warnings, watching } from "./shared";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ARMOR_INTERVALS, hclLiterals, openApiDocument, throttleThreshold } from "@polycloud/gcp";

const fn = (json: any, id: string) => find(json, "google_cloudfunctions2_function", (f) => f.name === `orders-${json === prod.json ? "prod" : "dev"}-${id}`);

describe("GcpFunction", () => {
  test("gen2 function from a content-hashed source object, runtime and entry point from the spec", () => {
    const api = fn(prod.json, "api");
    expect(api.build_config.runtime).toBe("nodejs22");
    expect(api.build_config.entry_point).toBe("handler");
    expect(api.build_config.source.storage_source.object).toMatch(/google_storage_bucket_object\./);
    const objects = Object.values(resources(prod.json, "google_storage_bucket_object")) as any[];
    expect(objects.map((o) => o.name)).toEqual(expect.arrayContaining([expect.stringMatching(/^api\/[0-9A-F]{32,}\.zip$/i), expect.stringMatching(/^worker\/[0-9A-F]{32,}\.zip$/i)]));
  });

  test("dedicated runtime and build service accounts; the build one only reads the source bucket", () => {
    const api = fn(prod.json, "api");
    expect(api.service_config.service_account_email).toMatch(/google_service_account\.orders_fn-api_runtime-sa_/);
    expect(api.build_config.service_account).toMatch(/google_service_account\.orders_fn-api_build-sa_/);
    const bucketGrants = Object.values(resources(prod.json, "google_storage_bucket_iam_member")).filter((m: any) => String(m.member).includes("build-sa")) as any[];
    // api, worker and the database's migration step.
    expect(bucketGrants.map((g) => g.role)).toEqual(["roles/storage.objectViewer", "roles/storage.objectViewer", "roles/storage.objectViewer"]);
    const roles = Object.values(resources(prod.json, "google_project_iam_member")).map((m: any) => m.role);
    expect(roles.filter((r) => /owner|editor|admin/.test(r))).toEqual([]);
  });

  test("memory, timeout, instances and concurrency from the spec", () => {
    const api = fn(prod.json, "api").service_config;
    // Binary units: 1024 MiB like Lambda's 1024 MB (1024M would be about 977 MiB).
    expect(api).toMatchObject({ available_memory: "1024Mi", timeout_seconds: 10, min_instance_count: 2, max_instance_count: 200, max_instance_request_concurrency: 1 });
    expect(fn(dev.json, "api").service_config.min_instance_count).toBe(0);
    const { json } = synthGcp("dev", () => {}, (s) => { s.functions.api.concurrency = { max: 100, perInstance: 10 }; s.functions.api.memoryMb = 512; });
    const cfg = find(json, "google_cloudfunctions2_function", (f) => f.name === "orders-dev-api").service_config;
    expect(cfg).toMatchObject({ max_instance_count: 10, max_instance_request_concurrency: 10, available_cpu: "1" });
    // A cap that perInstance does not divide: the per-instance share shrinks so instances × share = the cap.
    const odd = synthGcp("dev", () => {}, (s) => { s.functions.api.concurrency = { max: 7, perInstance: 2 }; });
    expect(find(odd.json, "google_cloudfunctions2_function", (f) => f.name === "orders-dev-api").service_config).toMatchObject({ max_instance_count: 7, max_instance_request_concurrency: 1 });
    expect(warnings(odd.stack)).toContainEqual(expect.stringMatching(/GcpFunction\(api\): property 'concurrency' \(max 7, perInstance 2\) runs as 7 instances × 1/));
  });

  test("build identity: the builder example's roles (objectAdmin only on gcf-v2-sources-<number>-<region>), then 60 s for IAM before the function", () => {
    for (const id of ["api", "worker"]) {
      const f = fn(prod.json, id);
      const sa = f.build_config.service_account.match(/^\$\{(google_service_account\.[^.]+)\.id\}$/)[1];
      const grants = Object.entries<any>(resources(prod.json, "google_project_iam_member")).filter(([, m]) => m.member === `serviceAccount:\${${sa}.email}`);
      expect(grants.map(([, g]) => g.role).sort()).toEqual(["roles/artifactregistry.writer", "roles/logging.logWriter", "roles/storage.objectAdmin"]);
      const admin = grants.find(([, g]) => g.role === "roles/storage.objectAdmin")![1];
      expect(admin.condition.expression).toMatch(/^resource\.name\.startsWith\("projects\/_\/buckets\/gcf-v2-sources-\$\{data\.google_project\.foundation_project_[^.]+\.number\}-europe-west1"\)$/);
      const [sleepName, sleep] = Object.entries<any>(resources(prod.json, "time_sleep")).find(([n]) => f.depends_on.includes(`time_sleep.${n}`))!;
      expect(sleepName).toMatch(new RegExp(`fn-${id}_build-iam-propagation`));
      expect(sleep.create_duration).toBe("60s");
      const waitedFor = grants.map(([n]) => `google_project_iam_member.${n}`);
      expect(sleep.depends_on).toEqual(expect.arrayContaining(waitedFor));
      expect(sleep.depends_on).toContainEqual(expect.stringMatching(new RegExp(`^google_storage_bucket_iam_member\\.orders_fn-${id}_build-reads-source_`)));
    }
  });

  test("ingress: all (API Gateway is not internal traffic) with the gateway's identity as only invoker; internal only otherwise", () => {
    expect(fn(prod.json, "api").service_config.ingress_settings).toBe("ALLOW_ALL");
    expect(fn(prod.json, "worker").service_config.ingress_settings).toBe("ALLOW_INTERNAL_ONLY");
  });

  test("secrets are secret environment variables, each readable by its function only", () => {
    const api = fn(prod.json, "api").service_config;
    expect(api.secret_environment_variables).toEqual([{ key: "PAYMENT_API_KEY", project_id: "polycloud-prod-0001", secret: expect.stringMatching(/google_secret_manager_secret\./), version: "latest" }]);
    expect(api.environment_variables.PAYMENT_API_KEY).toBeUndefined();
    const grant = only(prod.json, "google_secret_manager_secret_iam_member");
    expect(grant).toMatchObject({ role: "roles/secretmanager.secretAccessor", member: expect.stringMatching(/orders_fn-api_runtime-sa_/) });
    const secret = only(prod.json, "google_secret_manager_secret");
    expect(secret.replication.user_managed.replicas[0].customer_managed_encryption.kms_key_name).toMatch(/google_kms_crypto_key/);
    expect(secret.deletion_protection).toBe(true);
  });

  test("every secret starts with a placeholder version Terraform then ignores; the function waits for it and for its accessor grant", () => {
    const [versionName, version] = Object.entries<any>(resources(prod.json, "google_secret_manager_secret_version"))[0];
    expect(Object.keys(resources(prod.json, "google_secret_manager_secret_version"))).toHaveLength(1);
    expect(version.secret).toMatch(/^\$\{google_secret_manager_secret\.orders_secret-payment-api-key_[^.]+\.id\}$/);
    expect(version.secret_data).toMatch(/^PLACEHOLDER-not-a-secret/);
    expect(version.lifecycle).toMatchObject({ ignore_changes: ["secret_data", "enabled"], prevent_destroy: true });
    const [grantName] = Object.entries<any>(resources(prod.json, "google_secret_manager_secret_iam_member"))[0];
    // The grant is waited out (IAM propagation, issue 28.10): the function waits for a time_sleep on it.
    const waits = fn(prod.json, "api").depends_on.filter((d: string) => d.startsWith("time_sleep.") && resources(prod.json, "time_sleep")[d.slice("time_sleep.".length)].depends_on?.includes(`google_secret_manager_secret_iam_member.${grantName}`));
    expect(waits).toHaveLength(1);
    expect(resources(prod.json, "time_sleep")[waits[0].slice("time_sleep.".length)].create_duration).toBe("60s");
    expect(fn(prod.json, "api").depends_on).toEqual(expect.arrayContaining([`google_secret_manager_secret_version.${versionName}`]));
    expect(fn(prod.json, "worker").depends_on.filter((d: string) => /secret/.test(d))).toEqual([]);
  });

  test("functions granted a database egress through the VPC connector to private ranges only", () => {
    for (const id of ["api", "worker"]) {
      expect(fn(prod.json, id).service_config).toMatchObject({ vpc_connector: expect.stringMatching(/google_vpc_access_connector/), vpc_connector_egress_settings: "PRIVATE_RANGES_ONLY" });
    }
  });

  test("alert conditions: 5xx, 429 and p99 latency against the timeout, each function its own series", () => {
    const api = watching(prod.json, "orders-prod-api");
    expect(api.map((p) => p.display_name).sort()).toEqual(["Function 429 (> 0)", "Function 5xx (> 0)", "Function p99 latency (ms) (> 8000)"]);
    const p99 = api.find((p) => p.display_name.startsWith("Function p99")).conditions[0].condition_threshold;
    expect(p99.threshold_value).toBe(8000);
    expect(p99.aggregations[0]).toMatchObject({ per_series_aligner: "ALIGN_PERCENTILE_99", group_by_fields: ["resource.label.service_name"] });
  });

  test("count alerts fire at >= N like CloudWatch (GT N-1) over the sum of every series of a function (a 500 and a 503 add up)", () => {
    const policies = Object.values(resources(prod.json, "google_monitoring_alert_policy")) as any[];
    const cond = (name: string) => policies.find((p) => p.display_name === name).conditions[0].condition_threshold;
    // prod functionErrors = 1: one error fires.
    expect(cond("Function 5xx (> 0)")).toMatchObject({ comparison: "COMPARISON_GT", threshold_value: 0, aggregations: [{ per_series_aligner: "ALIGN_SUM", cross_series_reducer: "REDUCE_SUM", group_by_fields: ["resource.label.service_name"] }] });
    // Continuous values keep their threshold; each function's series are reduced to one too.
    expect(cond("Function p99 latency (ms) (> 8000)").aggregations[0].cross_series_reducer).toBe("REDUCE_MAX");
    for (const p of policies) expect(p.conditions[0].condition_threshold.aggregations[0].cross_series_reducer).toMatch(/^REDUCE_(SUM|MAX)$/);
  });
});

describe("GcpHttpGateway", () => {
  test("Cloud Armor throttle implements rate and burst on the one backend, whose serverless NEG is the API Gateway gateway (google-beta)", () => {
    const armor = only(prod.json, "google_compute_security_policy");
    const throttle = armor.rule.find((r: any) => r.action === "throttle");
    // The shortest interval Cloud Armor accepts (10 s): a burst always passes, and at most
    // burst + 10 × rate arrive in any one second (60 s windows allowed burst + 60 × rate).
    expect(throttle.rate_limit_options).toMatchObject({ conform_action: "allow", exceed_action: "deny(429)", enforce_on_key: "ALL", rate_limit_threshold: { count: 1000 + 500 * 10, interval_sec: 10 } });
    expect(ARMOR_INTERVALS[0]).toBe(10);
    expect(throttleThreshold(1, 1)).toEqual({ count: 11, intervalSec: 10 });
    const backend = only(prod.json, "google_compute_backend_service");
    expect(backend).toMatchObject({ load_balancing_scheme: "EXTERNAL_MANAGED", log_config: { enable: true, sample_rate: 1 }, security_policy: expect.stringMatching(/google_compute_security_policy/) });
    // serverless_deployment exists only in google-beta 6.50 (the GA binding has no such block).
    const neg = only(prod.json, "google_compute_region_network_endpoint_group");
    expect(neg).toMatchObject({ provider: "google-beta", network_endpoint_type: "SERVERLESS", serverless_deployment: { platform: "apigateway.googleapis.com", resource: expect.stringMatching(/^\$\{google_api_gateway_gateway\.orders_gateway-public_gateway_[^.]+\.gateway_id\}$/) } });
    expect(backend.backend[0].group).toMatch(/google_compute_region_network_endpoint_group\.orders_gateway-public_neg_/);
    const map = find(prod.json, "google_compute_url_map", (m) => m.name === "orders-prod-public");
    expect(map.default_service).toBe(backend.backend && `\${google_compute_backend_service.${Object.keys(resources(prod.json, "google_compute_backend_service"))[0]}.id}`);
    expect(map.path_matcher).toBeUndefined();
    for (const type of ["google_api_gateway_api", "google_api_gateway_api_config", "google_api_gateway_gateway"]) expect(only(prod.json, type).provider).toBe("google-beta");
    expect(only(prod.json, "google_api_gateway_gateway")).toMatchObject({ region: "europe-west1", api_config: expect.stringMatching(/google_api_gateway_api_config\./) });
    expect(only(prod.json, "google_api_gateway_api_config").lifecycle).toEqual({ create_before_destroy: true });
    // A long service name still leaves room for the provider's 26-character suffix (ids ≤ 63).
    const long = synthGcp("dev", () => {}, (s) => { s.name = "a-very-long-service-name-for-prefixes"; });
    expect(only(long.json, "google_api_gateway_api_config").api_config_id_prefix.length + 26).toBeLessThanOrEqual(63);
    // Gateway ids are at most 49 characters (https://cloud.google.com/api-gateway/docs/deploying-api, "Gateway ID requirements"); API ids 63.
    const longer = synthGcp("dev", () => {}, (s) => { s.name = "a-very-long-service-name-for-gateway-ids-and-more"; });
    expect(only(longer.json, "google_api_gateway_gateway").gateway_id).toMatch(/^[a-z][a-z0-9-]{0,48}$/);
    expect(only(longer.json, "google_api_gateway_api").api_id).toMatch(/^[a-z][a-z0-9-]{0,62}$/);
    expect(only(prod.json, "google_api_gateway_gateway").gateway_id).toBe("orders-prod-public");
  });

  test("OpenAPI: one operation per method and path to its function, JWT required on authorized routes only, user strings escaped", () => {
    const spec: any = {
      throttle: { rateLimit: 1, burstLimit: 1 },
      auth: { issuer: 'https://id.example.com/"quoted\\/', audiences: ["a", "b"] },
      routes: [
        { method: "GET", path: "/orders/{id}", function: "read" },
        { method: "DELETE", path: "/orders/{id}", function: "remove" },
        { method: "ANY", path: "/open", function: "read", authorized: false },
      ],
    };
    const doc: any = JSON.parse(JSON.stringify(openApiDocument(spec, "t", { read: "https://read.run.app", remove: "https://remove.run.app" })));
    expect(doc.paths["/orders/{id}"].get["x-google-backend"]).toEqual({ address: "https://read.run.app", path_translation: "APPEND_PATH_TO_ADDRESS", jwt_audience: "https://read.run.app", deadline: 60 });
    expect(doc.paths["/orders/{id}"].delete["x-google-backend"].address).toBe("https://remove.run.app");
    expect(doc.paths["/orders/{id}"].get.parameters).toEqual([{ in: "path", name: "id", required: true, type: "string" }]);
    expect(doc.paths["/orders/{id}"].get.security).toEqual([{ jwt: [] }]);
    expect(doc.paths["/orders/{id}"].delete.security).toEqual([{ jwt: [] }]);
    expect(Object.keys(doc.paths["/open"]).sort()).toEqual(["delete", "get", "head", "options", "patch", "post", "put"]);
    for (const op of Object.values<any>(doc.paths["/open"])) expect(op.security).toBeUndefined();
    expect(doc.securityDefinitions.jwt).toMatchObject({ "x-google-issuer": 'https://id.example.com/"quoted\\/', "x-google-audiences": "a,b" });
    // Without auth no operation asks for a token.
    const open: any = openApiDocument({ ...spec, auth: undefined }, "t", { read: "r", remove: "x" });
    expect(JSON.stringify(open)).not.toMatch(/security/);
  });

  test("the JWKS URL is the declared auth.jwksUri; unset, the usual location under the issuer is used with a warning (GCP cannot discover it)", () => {
    const declared = synthGcp("dev", () => {}, (s) => { (s.gateways.public.auth as any).jwksUri = "https://keys.example.com/oauth2/v3/certs"; });
    const text = JSON.stringify(only(declared.json, "google_api_gateway_api_config"));
    expect(text).toContain("https://keys.example.com/oauth2/v3/certs");
    expect(fn(declared.json, "api").service_config.environment_variables.PLATFORM_JWT_JWKS_URI).toBe("https://keys.example.com/oauth2/v3/certs");
    expect(warnings(declared.stack).filter((w) => /auth\.jwksUri/.test(w))).toEqual([]);
    const unset = synthGcp("dev", () => {}, (s) => { delete (s.gateways.public.auth as any).jwksUri; });
    expect(JSON.stringify(only(unset.json, "google_api_gateway_api_config"))).toContain("https://auth.example.com/.well-known/jwks.json");
    expect(warnings(unset.stack)).toContainEqual(expect.stringMatching(/GcpHttpGateway\(public\): property 'auth\.jwksUri' is unset, so API Gateway checks tokens against https:\/\/auth\.example\.com\/\.well-known\/jwks\.json .*jwks_uri in https:\/\/auth\.example\.com\/\.well-known\/openid-configuration\.$/));
    expect(gcpProblems("dev", () => {}, (s) => { (s.gateways.public.auth as any).jwksUri = "http://keys.example.com/"; })).toContainEqual(
      expect.stringMatching(/property 'gateways\.public\.auth\.jwksUri' has value "http:\/\/keys\.example\.com\/"; allowed: an https:\/\/ URL/),
    );
  });

  test("a routed function whose timeout exceeds the gateway's 60 s backend deadline is warned about (not silently cut)", () => {
    const slow = synthGcp("dev", () => {}, (s) => { s.functions.api.timeoutSeconds = 120; });
    expect(warnings(slow.stack)).toContainEqual(expect.stringMatching(/GcpHttpGateway\(public\): function 'api' has timeoutSeconds = 120, but API Gateway stops waiting for the backend after 60 seconds/));
    expect(warnings(dev.stack).filter((w) => /stops waiting for the backend/.test(w))).toEqual([]);
  });

  test("CORS preflights pass API Gateway without a token (browsers send none), also on ANY routes; other methods keep the JWT", () => {
    const spec: any = {
      throttle: { rateLimit: 1, burstLimit: 1 },
      auth: { issuer: "https://id.example.com/", audiences: ["a"] },
      cors: { allowOrigins: ["https://shop.example.com"] },
      routes: [
        { method: "GET", path: "/orders", function: "read" },
        { method: "ANY", path: "/items/{id}", function: "read" },
      ],
    };
    const doc: any = JSON.parse(JSON.stringify(openApiDocument(spec, "t", { read: "https://read.run.app" })));
    for (const path of ["/orders", "/items/{id}"]) {
      expect(doc.paths[path].options).toBeDefined();
      expect(doc.paths[path].options.security).toBeUndefined();
    }
    expect(doc.paths["/items/{id}"].options.parameters).toEqual([{ in: "path", name: "id", required: true, type: "string" }]);
    for (const method of ["get", "post", "put", "patch", "delete", "head"]) expect(doc.paths["/items/{id}"][method].security).toEqual([{ jwt: [] }]);
    expect(doc.paths["/orders"].get.security).toEqual([{ jwt: [] }]);
    // Without CORS, ANY keeps the JWT on OPTIONS too.
    const noCors: any = openApiDocument({ ...spec, cors: undefined }, "t", { read: "https://read.run.app" });
    expect(noCors.paths["/items/{id}"].options.security).toEqual([{ jwt: [] }]);
  });

  test("the synthesized document is Terraform's jsonencode of that object, with each function's Cloud Run URL", () => {
    const contents = only(prod.json, "google_api_gateway_api_config").openapi_documents[0].document.contents;
    expect(contents).toMatch(/^\$\{base64encode\(jsonencode\(\{"swagger" = "2\.0"/);
    expect(contents).toContain('"address" = google_cloudfunctions2_function.orders_fn-api_fn_');
    expect(contents).toMatch(/"\/health" = \{"get" = \{"operationId" = "r2-get", "x-google-backend" = \{[^}]*\}, "responses"/);
    expect(contents).toMatch(/"\/orders" = \{"post" = \{"operationId" = "r0-post", "x-google-backend" = \{[^}]*\}, "security" = \[\{"jwt" = \[\]\}\]/);
  });

  test("hostile strings reach the API config as HCL-escaped literals: Terraform's jsonencode reads back exactly the user's value", () => {
    const hostile = ['a"b\\c', 'x" = file("/etc/passwd"), "y', "line\nbreak"];
    const { json } = synthGcp("dev", () => {}, (s) => { s.gateways.public.auth.audiences = hostile; });
    const contents: string = only(json, "google_api_gateway_api_config").openapi_documents[0].document.contents;
    const literal = contents.match(/"x-google-audiences" = ("(?:[^"\\]|\\.)*")/)![1];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hcl-"));
    const out = execFileSync("terraform", ["console"], { cwd: dir, input: `jsonencode({"v" = ${literal}})\n`, encoding: "utf8", stdio: ["pipe", "pipe", "ignore"] });
    expect(JSON.parse(JSON.parse(out.trim())).v).toBe(hostile.join(","));
    expect(hclLiterals({ 'k"': ["${x}", "%{y}"] })).toEqual({ 'k\\"': ["$${x}", "%%{y}"] });
  });

  test("method routing: one path, several methods, different functions (was rejected before)", () => {
    const { json, stack } = synthGcp("dev", () => {}, (s) => { s.gateways.public.routes.push({ method: "DELETE", path: "/orders", function: "worker" }); });
    expect(gcpProblems("dev", () => {}, (s) => { s.gateways.public.routes.push({ method: "DELETE", path: "/orders", function: "worker" }); })).toEqual([]);
    const contents = only(json, "google_api_gateway_api_config").openapi_documents[0].document.contents;
    expect(contents).toMatch(/"\/orders" = \{"post" = \{[^]*?"address" = google_cloudfunctions2_function\.orders_fn-api_fn_[^]*?"delete" = \{"operationId" = "r3-delete", "x-google-backend" = \{"address" = google_cloudfunctions2_function\.orders_fn-worker_fn_/);
    expect(find(json, "google_cloudfunctions2_function", (f) => f.name === "orders-dev-worker").service_config.ingress_settings).toBe("ALLOW_ALL");
    expect(stack).toBeDefined();
  });

  test("a Python function behind an authorized route is protected by the same edge check", () => {
    const { json } = synthGcp("dev", () => {}, (s) => { s.functions.api.runtime = "python3.12"; s.functions.api.handler = "main.handler"; });
    const contents = only(json, "google_api_gateway_api_config").openapi_documents[0].document.contents;
    expect(contents).toMatch(/"\/orders\/\{id\}" = \{"get" = \{[^]*?"security" = \[\{"jwt" = \[\]\}\]/);
    expect(contents).toContain('"x-google-issuer" = "https://auth.example.com/"');
  });

  test("prod: managed certificate on HTTPS with a TLS 1.2 policy; dev: HTTP only with a warning", () => {
    expect(only(prod.json, "google_compute_managed_ssl_certificate").managed.domains).toEqual(["orders.gcp.example.com"]);
    expect(only(prod.json, "google_compute_ssl_policy")).toMatchObject({ min_tls_version: "TLS_1_2", profile: "MODERN" });
    const rules = Object.values<any>(resources(prod.json, "google_compute_global_forwarding_rule"));
    expect(rules.map((r) => r.port_range).sort()).toEqual(["443", "80"]);
    // Port 80 only redirects to HTTPS (301) on the same address.
    const http = rules.find((r) => r.port_range === "80");
    expect(http.ip_address).toBe(rules.find((r) => r.port_range === "443").ip_address);
    const proxy = only(prod.json, "google_compute_target_http_proxy");
    expect(http.target).toMatch(/google_compute_target_http_proxy/);
    const redirect = find(prod.json, "google_compute_url_map", (m) => m.name === "orders-prod-public-redirect");
    expect(proxy.url_map).toMatch(/orders_gateway-public_http-redirect_/);
    expect(redirect.default_url_redirect).toEqual({ https_redirect: true, redirect_response_code: "MOVED_PERMANENTLY_DEFAULT", strip_query: false });
    expect(redirect.default_service).toBeUndefined();
    // The DNS record the managed certificate waits for.
    const [output] = Object.entries<any>(prod.json.output ?? {}).filter(([k]) => /dns-records/.test(k)).map(([, o]) => o);
    expect(output.value).toEqual([{ name: "orders.gcp.example.com.", type: "A", ttl: 300, rrdatas: [expect.stringMatching(/^\$\{google_compute_global_address\.orders_gateway-public_address_[^.]+\.address\}$/)] }]);
    expect(Object.keys(dev.json.output ?? {}).filter((k) => /dns-records/.test(k))).toEqual([]);
    expect(only(dev.json, "google_compute_global_forwarding_rule").port_range).toBe("80");
    expect(warnings(dev.stack)).toContainEqual(expect.stringMatching(/GcpHttpGateway\(public\): environments\/dev has no clouds\.gcp\.gatewayDomains/));
  });

  test("warm instances above max_instance_count are rejected at synth", () => {
    // Cloud Run refuses min_instance_count above max_instance_count (ceil(max / perInstance)) at apply.
    expect(gcpProblems("prod", () => {}, (s) => { s.functions.api.minWarmInstances = 2; s.functions.api.concurrency = { max: 4, perInstance: 4 }; }))
      .toContainEqual(expect.stringMatching(/functions\.api\.minWarmInstances' has value 2; allowed: at most 1 on GCP/));
    expect(gcpProblems("prod", () => {}, (s) => { s.functions.api.minWarmInstances = 1; s.functions.api.concurrency = { max: 4, perInstance: 4 }; })).toEqual([]);
  });

  test("a throttle whose 10 s count exceeds Cloud Armor's 1,000,000 is rejected", () => {
    expect(gcpProblems("dev", () => {}, (s) => { s.gateways.public.throttle = { rateLimit: 100000, burstLimit: 100000 }; })).toContainEqual(
      expect.stringMatching(/GcpHttpGateway\(public\): property 'throttle' has value \{"rateLimit":100000,"burstLimit":100000\}; allowed: burstLimit \+ rateLimit × 10 at most 1000000/),
    );
  });

  test("outside dev a gateway without domains is an error", () => {
    expect(gcpProblems("prod", (e) => { delete e.clouds.gcp.gatewayDomains; })).toContainEqual(
      expect.stringMatching(/GcpHttpGateway\(public\): property 'environments\/prod\.clouds\.gcp\.gatewayDomains' has value \[\]; allowed: at least one domain/),
    );
  });

  test("JWT, CORS and routes reach the function, which enforces what the load balancer cannot", () => {
    const env = fn(prod.json, "api").service_config.environment_variables;
    expect(env.PLATFORM_JWT_ISSUER).toBe("https://auth.example.com/");
    expect(JSON.parse(env.PLATFORM_JWT_AUDIENCES)).toEqual(["orders-api"]);
    expect(env.PLATFORM_JWT_JWKS_URI).toBe("https://auth.example.com/.well-known/jwks.json");
    expect(JSON.parse(env.PLATFORM_CORS)).toMatchObject({ allowOrigins: ["https://shop.example.com"], allowCredentials: true });
    expect(JSON.parse(env.PLATFORM_ROUTES)).toContainEqual({ method: "GET", path: "/health", authorized: false });
    expect(fn(prod.json, "worker").service_config.environment_variables.PLATFORM_ROUTES).toBeUndefined();
  });

  test("no allUsers invoker: the gateway's own service account invokes the routed function, and the gateway waits for that grant", () => {
    const invokers = Object.entries<any>(resources(prod.json, "google_cloud_run_v2_service_iam_member"));
    expect(invokers.filter(([, m]) => m.member === "allUsers")).toEqual([]);
    const gw = invokers.filter(([, m]) => /google_service_account\.orders_gateway-public_backend-sa_/.test(m.member));
    expect(gw.map(([, m]) => m.name)).toEqual([expect.stringMatching(/orders_fn-api_fn_/)]);
    for (const [, m] of invokers) expect(m.role).toBe("roles/run.invoker");
    expect(only(prod.json, "google_api_gateway_gateway").depends_on).toEqual(expect.arrayContaining(gw.map(([n]) => `google_cloud_run_v2_service_iam_member.${n}`)));
    expect(only(prod.json, "google_api_gateway_api_config").gateway_config.backend_config.google_service_account).toMatch(/orders_gateway-public_backend-sa_/);
  });
});
