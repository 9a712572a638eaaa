import { randomUUID } from "node:crypto";
import { npmrcFor } from "./npmrc";
import { ACTIONS, NODE_MAJOR, PINS, TERRAFORM_VERSION } from "./pins";

export const STARTER_CLOUDS = ["aws", "gcp", "azure"] as const;
export type StarterCloud = (typeof STARTER_CLOUDS)[number];

export interface StarterOptions {
  /** The project's package name. */
  readonly name: string;
  /** The clouds the environments enable; only their packages and provider bindings are installed. */
  readonly clouds: readonly StarterCloud[];
  /** The packages' npm scope, e.g. `@polycloud`. */
  readonly scope: string;
  /** Version of each published package the project depends on (`<scope>/core` → `0.1.0`). */
  readonly versions: Readonly<Record<string, string>>;
  /** The registry that serves the scope; without one, .npmrc says what to add. */
  readonly registry?: string;
  /** cdktf's project id. @default a random UUID */
  readonly projectId?: string;
}

/** The packages a project with these clouds depends on (without the scope). */
export function starterPackages(clouds: readonly StarterCloud[]): { dependencies: string[]; devDependencies: string[] } {
  return { dependencies: ["core", "stacks", "runtime", ...STARTER_CLOUDS.filter((c) => clouds.includes(c))], devDependencies: ["cli"] };
}

const PROVIDERS: Record<StarterCloud, (keyof typeof PINS)[]> = {
  aws: ["@cdktf/provider-aws"],
  gcp: ["@cdktf/provider-google", "@cdktf/provider-google-beta", "@cdktf/provider-time"],
  azure: ["@cdktf/provider-azurerm"],
};

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
const sorted = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));

function packageJson(o: StarterOptions): string {
  const { dependencies, devDependencies } = starterPackages(o.clouds);
  const version = (pkg: string) => {
    const v = o.versions[`${o.scope}/${pkg}`];
    if (!v) throw new Error(`no version for ${o.scope}/${pkg}`);
    return `^${v}`;
  };
  return json({
    name: o.name,
    version: "0.1.0",
    private: true,
    description: "Serverless services on AWS, GCP and Azure from one description (polycloud, CDK for Terraform).",
    engines: { node: `>=${NODE_MAJOR}` },
    scripts: {
      build: "tsc",
      synth: "polycloud synth",
      check: "polycloud check",
      policy: "polycloud policy",
      cost: "polycloud cost",
      plan: "polycloud plan offline",
      addresses: "polycloud addresses",
    },
    dependencies: sorted({
      ...Object.fromEntries(dependencies.map((p) => [`${o.scope}/${p}`, version(p)])),
      cdktf: PINS.cdktf,
      constructs: PINS.constructs,
      ...Object.fromEntries(o.clouds.flatMap((c) => PROVIDERS[c]).map((p) => [p, PINS[p]])),
    }),
    devDependencies: sorted({
      ...Object.fromEntries(devDependencies.map((p) => [`${o.scope}/${p}`, version(p)])),
      typescript: PINS.typescript,
      "@types/node": PINS["@types/node"],
    }),
  });
}

function npmrc(o: StarterOptions): string {
  if (o.registry) return npmrcFor(o.registry, [o.scope]);
  return [
    `# ${o.scope} packages come from your private registry. Uncomment and set its URL; npm reads the`,
    "# token from NODE_AUTH_TOKEN when it runs (this file holds no secret).",
    `# ${o.scope}:registry=https://npm.example.internal/`,
    "# //npm.example.internal/:_authToken=${NODE_AUTH_TOKEN}",
    "",
  ].join("\n");
}

const TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "commonjs",
    moduleResolution: "node",
    lib: ["ES2022"],
    strict: true,
    esModuleInterop: true,
    skipLibCheck: true,
    outDir: "dist",
    rootDir: ".",
    types: ["node"],
  },
  include: ["main.ts", "stacks/**/*.ts", "environments/**/*.ts"],
};

const MAIN = `import { runApp } from "@polycloud/stacks";
import { composition } from "./stacks/composition";

// One Terraform stack per environment and cloud (dev-aws, prod-aws, ...) from stacks/composition.ts.
// \`polycloud synth\` runs this (cdktf.json's app); \`polycloud check\` runs every gate on the result.
runApp(composition);
`;

/** Per-cloud settings of an environment: placeholders to replace with the team's own accounts. */
function cloudSettings(cloud: StarterCloud, env: "dev" | "prod", name: string): string {
  const short = name.replace(/[^a-z0-9]/g, "").slice(0, 12) || "app";
  const n = env === "dev" ? 1 : 3;
  switch (cloud) {
    case "aws":
      return `    aws: {
      accountId: "${String(n).repeat(12)}", // your AWS account
      region: "eu-west-1",
      vpcCidr: "10.${40 + n}.0.0/16",
      backend: { bucket: "${short}-tfstate-${env}", region: "eu-west-1" }, // an existing, versioned S3 bucket
    },`;
    case "gcp":
      return `    gcp: {
      projectId: "${short}-${env}-0001", // your GCP project
      region: "europe-west1",
      billingAccount: "0A1B2C-3D4E5F-6A7B8C", // the billing account the budget watches
      backend: { bucket: "${short}-tfstate-${env}-gcp" },
      gatewayDomains: ["${env === "prod" ? "" : `${env}.`}${short}.gcp.example.com"], // the HTTPS load balancer's managed certificate (DNS to its address)
    },`;
    case "azure":
      return `    azure: {
      subscriptionId: "00000000-0000-4000-8000-00000000000${n}", // your subscription
      tenantId: "00000000-0000-4000-8000-0000000000aa",
      location: "westeurope",
      apiManagementSku: "${env === "dev" ? "Consumption_0" : "StandardV2_1"}",
      backend: { resourceGroupName: "rg-tfstate", storageAccountName: "${short}tfstate${env}", containerName: "tfstate" },
      budgetStartDate: "2027-01-01",
    },`;
  }
}

function environmentFile(o: StarterOptions, env: "dev" | "prod"): string {
  const dev = env === "dev";
  return `import { EnvironmentConfig } from "@polycloud/core";

/** ${dev ? "Development: small, short retention, no deletion protection." : "Production: warm instances, a year of logs, deletion protection."} */
export const ${env}: EnvironmentConfig = {
  name: "${env}",
  clouds: {
${o.clouds.map((c) => cloudSettings(c, env, o.name)).join("\n")}
  },
  tags: { owner: "${o.name}-team", cost_center: "cc-0000" },
  alarms: {
    recipients: ["${dev ? "dev" : "oncall"}@example.com"],
    thresholds: ${dev ? "{ functionErrors: 5, gateway5xx: 20, gatewayLatencyP99Ms: 3000 }" : "{ functionErrors: 1, gateway5xx: 5, gatewayLatencyP99Ms: 1000 }"},
  },
  // Each cloud's stack gets the full amount; \`polycloud cost --check\` compares the idle baseline with it.
  budget: { monthlyAmount: ${dev ? 200 : 5000}, currency: "USD", scope: "per-cloud", actualThresholdsPercent: [80, 100], forecastThresholdsPercent: [100], recipients: ["${dev ? "dev" : "finance"}@example.com"] },
  retention: ${dev ? "{ logDays: 14, archiveDays: 7, backupDays: 1 }" : "{ logDays: 365, archiveDays: 365, backupDays: 35 }"},
  sizing: ${dev ? '{ functionMemoryMb: 256, databaseSize: "small", warmInstances: 0 }' : '{ functionMemoryMb: 1024, databaseSize: "large", warmInstances: 1 }'},
  deletionProtection: ${!dev},
};
`;
}

const ENVIRONMENTS_INDEX = `import { EnvironmentConfig } from "@polycloud/core";
import { dev } from "./dev";
import { prod } from "./prod";

export { dev, prod };
export const environments: readonly EnvironmentConfig[] = [dev, prod];
`;

const COMPOSITION = `import { Composition } from "@polycloud/stacks";
import { environments } from "../environments";
import { helloService } from "./hello-service";

/**
 * What this project deploys: the environments, and the services each renders. Add a service with
 * \`services: (env) => [helloService(env), ordersService(env)]\`; adding, removing or reordering
 * services renames nothing that exists.
 */
export const composition: Composition = {
  environments,
  services: (env) => [helloService(env)],
};
`;

const HELLO_SERVICE = `import { EnvironmentConfig, ServiceSpec } from "@polycloud/core";

/**
 * The example service: one HTTP function behind the gateway. The same description renders on
 * every cloud the environment enables. Source folders are relative to the project root.
 */
export function helloService(env: EnvironmentConfig): ServiceSpec {
  return {
    name: "hello",
    functions: {
      api: {
        source: "functions/hello",
        runtime: "nodejs22",
        handler: "index.handler",
        memoryMb: env.sizing.functionMemoryMb,
        timeoutSeconds: 10,
        concurrency: { max: env.name === "prod" ? 50 : 5 },
      },
    },
    gateways: {
      public: {
        routes: [{ method: "GET", path: "/hello", function: "api", authorized: false }],
        throttle: { rateLimit: 20, burstLimit: 40 },
      },
    },
  };
}
`;

const HELLO_FUNCTION = `// An HTTP handler on @polycloud/runtime: this folder deploys unchanged to AWS Lambda, Google Cloud
// Functions and Azure Functions; the runtime adapts each platform's request and response.
import { http } from "@polycloud/runtime";

export const handler = http(async (req) => {
  if (req.method === "GET" && req.path === "/hello") return { status: 200, body: { hello: req.query.name ?? "world" } };
  return { status: 404, body: { error: "not found" } };
});
`;

function helloPackage(o: StarterOptions): string {
  return json({ name: "hello-api", private: true, type: "module", main: "index.mjs", dependencies: { [`${o.scope}/runtime`]: `^${o.versions[`${o.scope}/runtime`]}` } });
}

/**
 * Accepted policy findings of the example service, each with the reason it is acceptable (policy
 * fails on anything else). Only Azure has any: a function without a private resource to reach has
 * no VNet integration, and dev's Consumption tier of API Management cannot rate-limit.
 */
function suppressions(o: StarterOptions): string {
  const entries = o.clouds.includes("azure") ? [
    {
      condition: "PC002.app-public", target: "hello/fn-api/app", stacks: ["dev-azure", "prod-azure"],
      justification: "The function reaches no private resource, so it has no VNet integration. API Management calls it with its managed identity and App Service authentication admits only that identity (auth_settings_v2 allowed_identities, Return401), so a direct call is refused. Add a database (VNet integration) or access restrictions and this entry becomes unused.",
    },
    {
      condition: "PC030.unthrottled", target: "hello/gateway-public/api-policy", stacks: ["dev-azure"],
      justification: "dev uses the API Management Consumption tier, which has no rate-limit-by-key; synth warns, and prod uses StandardV2 where the limit is enforced.",
    },
  ] : [];
  return json({ suppressions: entries });
}

/** The pull-request (and main) check: the same gates as `polycloud check` on a laptop. */
function checkWorkflow(o: StarterOptions): string {
  return `# Every pull request and every push to main: the gates of \`polycloud check\` (synth with grouped
# warnings, idle cost against each budget, policy, offline plans and the stateful-destroy guard,
# the reviewed stateful addresses). No cloud credentials: the plans are offline.
name: check

on:
  pull_request:
    branches: [main]
  push:
    branches: [main]

permissions: {}

concurrency:
  group: check-\${{ github.ref }}
  cancel-in-progress: true

jobs:
  check:
    name: polycloud check
    runs-on: ubuntu-latest
    timeout-minutes: 30
    permissions:
      contents: read
    steps:
      - uses: ${ACTIONS.checkout}
        with:
          persist-credentials: false
      - uses: ${ACTIONS.setupNode}
        with:
          node-version: "${NODE_MAJOR}"
          cache: npm
      # ${o.scope} comes from the private registry in .npmrc; NODE_AUTH_TOKEN is a read token.
      - name: Install dependencies (npm ci, no install scripts)
        env:
          NODE_AUTH_TOKEN: \${{ secrets.NPM_READ_TOKEN }}
        run: npm ci --ignore-scripts --no-audit --no-fund
      - uses: ${ACTIONS.setupTerraform}
        with:
          terraform_version: "${TERRAFORM_VERSION}"
          terraform_wrapper: false
      - name: polycloud check
        run: npx --no-install polycloud check
`;
}

const GITIGNORE = ["node_modules/", "dist/", "cdktf.out/", ".terraform/", "*.tfstate", "*.tfstate.*", ".polycloud/", ""].join("\n");

function readme(o: StarterOptions): string {
  return `# ${o.name}

Serverless services described once and rendered as Terraform stacks on ${o.clouds.join(", ")} with the
polycloud CDKTF modules (${o.scope}/*).

\`\`\`sh
npm ci                     # Node.js ${NODE_MAJOR} or later; ${o.scope} from the registry in .npmrc
npx polycloud synth        # every stack into cdktf.out/, warnings listed once
npx polycloud check        # what CI checks: synth, cost, policy, offline plans, guard, addresses
npx polycloud --help       # every verb
\`\`\`

- \`environments/\`: one file per environment (accounts, regions, state backends, budgets, retention).
  Replace the placeholder account ids and state buckets with yours.
- \`stacks/composition.ts\`: the environments and the services each renders; \`stacks/hello-service.ts\`
  is the example service, \`functions/hello\` its code.
- \`.github/workflows/check.yml\`: \`polycloud check\` on every pull request (set the repository secret
  \`NPM_READ_TOKEN\` to a read token of the registry).

After the first synth, \`npx polycloud addresses\` records the stateful resource addresses; commit
\`policy/stateful-addresses.json\` and review its changes like code.
`;
}

/** Every file of a new project, by path relative to its root. */
export function starterFiles(o: StarterOptions): Record<string, string> {
  if (!o.clouds.length) throw new Error("at least one cloud");
  for (const c of o.clouds) if (!STARTER_CLOUDS.includes(c)) throw new Error(`unknown cloud '${c}' (${STARTER_CLOUDS.join(", ")})`);
  const files: Record<string, string> = {
    "package.json": packageJson(o),
    ".npmrc": npmrc(o),
    ".gitignore": GITIGNORE,
    "README.md": readme(o),
    "cdktf.json": json({ language: "typescript", app: "npx tsc && node dist/main.js", projectId: o.projectId ?? randomUUID(), sendCrashReports: "false", terraformProviders: [], terraformModules: [], context: {} }),
    "tsconfig.json": json(TSCONFIG),
    "main.ts": MAIN,
    "environments/index.ts": ENVIRONMENTS_INDEX,
    "environments/dev.ts": environmentFile(o, "dev"),
    "environments/prod.ts": environmentFile(o, "prod"),
    "stacks/composition.ts": COMPOSITION,
    "stacks/hello-service.ts": HELLO_SERVICE,
    "functions/hello/index.mjs": HELLO_FUNCTION,
    "functions/hello/package.json": helloPackage(o),
    "policy/suppressions.json": suppressions(o),
    ".github/workflows/check.yml": checkWorkflow(o),
  };
  // The code imports the packages by their scope (a renamed scope, e.g. for GitHub Packages, follows).
  for (const [file, text] of Object.entries(files)) if (/\.(ts|mjs)$/.test(file)) files[file] = text.replace(/@polycloud\//g, `${o.scope}/`);
  return files;
}
