import { PolicyRule, Violation } from "./types";
import { R, block, blocks, isReference, list, parsePolicyDocument, refAddress, resources, str } from "./json";

/** Every function's environment, by address: the variables the runtime reads. */
function functionEnvironments(json: Parameters<PolicyRule["check"]>[0]["json"]): [string, R, R][] {
  return [
    ...resources(json, "aws_lambda_function").map(([a, r]) => [a, r, block(block(r.environment).variables)] as [string, R, R]),
    ...resources(json, "google_cloudfunctions2_function").map(([a, r]) => [a, r, block(block(r.service_config).environment_variables)] as [string, R, R]),
    ...resources(json, "azurerm_function_app_flex_consumption", "azurerm_linux_function_app").map(([a, r]) => [a, r, block(r.app_settings)] as [string, R, R]),
  ];
}

const isStep = (env: R) => typeof env.POLYCLOUD_MIGRATE_DATABASE === "string";
/** `aws_iam_role.x` for `${aws_iam_role.x.arn}`. */
const addressOf = (v: unknown) => refAddress(v)?.split(".").slice(0, 2).join(".");

export const DATABASE_TLS_VERIFIED: PolicyRule = {
  id: "PC018",
  severity: "high",
  title: "Functions verify the database server: certificate chain against a given CA, and its name",
  rationale: "An encrypted connection to an unverified server hands the function's identity token (its database password) to whoever answers; `sslmode=require` encrypts without verifying.",
  conditions: {
    "not-verify-full": { title: "a database binding without sslmode verify-full" },
    "no-ca": { title: "a database binding without the CA to verify the server against" },
  },
  fix: "Let the database construct bind the function (grantConnect): it sets DB_<ID>_SSLMODE=verify-full and DB_<ID>_SSLROOTCERT to the CA the cloud documents.",
  reads: {
    aws_lambda_function: ["environment.variables"], google_cloudfunctions2_function: ["service_config.environment_variables"],
    azurerm_function_app_flex_consumption: ["app_settings"], azurerm_linux_function_app: ["app_settings"],
  },
  check: ({ json }) => functionEnvironments(json).flatMap(([address, , env]) => Object.keys(env).flatMap((k): Violation[] => {
    const id = /^DB_([A-Z0-9_]+)_HOST$/.exec(k)?.[1];
    if (!id) return [];
    const out: Violation[] = [];
    const mode = env[`DB_${id}_SSLMODE`];
    if (mode !== "verify-full") out.push({ address, condition: "not-verify-full", message: `DB_${id}_SSLMODE is ${mode === undefined ? "unset" : JSON.stringify(mode)}, not verify-full` });
    if (typeof env[`DB_${id}_SSLROOTCERT`] !== "string" || env[`DB_${id}_SSLROOTCERT`] === "") out.push({ address, condition: "no-ca", message: `DB_${id}_SSLROOTCERT is unset: the server certificate would be checked against the platform's default store, which does not hold the database's CA` });
    return out;
  })),
};

export const DATABASE_ADMIN_STEP_ONLY: PolicyRule = {
  id: "PC008",
  severity: "critical",
  title: "A database's admin identity belongs to its migration step alone",
  rationale: "The admin owns the schema and can read and change every row; functions get their own roles with data access only, and only the migration step (run at deploy) may act as the admin.",
  conditions: {
    "master-secret": { title: "something other than the migration step can read an RDS master user secret" },
    "admin-service-account": { title: "a workload other than the migration step runs as, or may act as, the admin's service account" },
    "entra-administrator": { title: "the Entra administrator is not the migration step's own identity" },
  },
  fix: "Do not grant the master secret, the admin service account or the Entra administrator identity to anything else; the migration step construct holds them.",
  // Identities are references (which role, which service account, which managed identity), so no
  // attribute here needs a literal value.
  reads: {
    aws_rds_cluster: [], aws_db_proxy: [], aws_iam_role_policy: [], aws_lambda_function: [],
    google_cloudfunctions2_function: [], google_cloud_run_v2_job: [], google_service_account_iam_member: [], google_service_account_iam_binding: [],
    azurerm_postgresql_flexible_server_active_directory_administrator: [], azurerm_function_app_flex_consumption: [],
  },
  check: ({ json }) => {
    const out: Violation[] = [];
    const envs = functionEnvironments(json);

    // AWS: the RDS-managed master secret is read by the migration step's role only.
    const masters = resources(json, "aws_rds_cluster").filter(([, r]) => r.manage_master_user_password === true).map(([a]) => a);
    const stepRoles = new Set(envs.filter(([a, , e]) => a.startsWith("aws_lambda_function.") && isStep(e)).map(([, r]) => addressOf(r.role)));
    for (const [address, r] of resources(json, "aws_db_proxy")) {
      for (const auth of blocks(r.auth)) if (masters.some((m) => String(auth.secret_arn ?? "").includes(`${m}.master_user_secret`))) out.push({ address, condition: "master-secret", message: "the proxy holds the master user's secret (auth.secret_arn)" });
    }
    for (const [address, r] of resources(json, "aws_iam_role_policy", "aws_iam_policy")) {
      // The raw document: references stay readable inside its strings.
      let doc: { Statement?: unknown } | undefined;
      try { doc = typeof r.policy === "string" ? JSON.parse(r.policy) : parsePolicyDocument(r.policy); } catch { doc = parsePolicyDocument(r.policy); }
      for (const s of list<R>(doc?.Statement as R[])) {
        if (str(s.Effect) !== "Allow") continue;
        const actions = list<unknown>(s.Action).map(String);
        if (!actions.some((a) => /^(\*|secretsmanager:\*|secretsmanager:GetSecretValue)$/i.test(a))) continue;
        const targets = list<unknown>(s.Resource).map(String);
        const master = targets.some((t) => t === "*" || masters.some((m) => t.includes(`${m}.master_user_secret`)));
        if (master && !stepRoles.has(addressOf(r.role))) out.push({ address, condition: "master-secret", message: `statement ${str(s.Sid) ?? "?"} lets ${addressOf(r.role) ?? "a principal"} read a database master secret; only the migration step's role may` });
      }
    }
    for (const [address, , env] of envs) {
      if (isStep(env)) continue;
      for (const [k, v] of Object.entries(env)) if (typeof v === "string" && /master_user_secret/.test(v)) out.push({ address, condition: "master-secret", message: `${k} names a database master secret` });
    }

    // GCP: the step's service account (the admin IAM user) runs nothing else and nobody may act as it.
    const stepAccounts = envs.filter(([a, , e]) => a.startsWith("google_cloudfunctions2_function.") && isStep(e)).map(([, r]) => addressOf(block(r.service_config).service_account_email)).filter(Boolean) as string[];
    for (const sa of stepAccounts) {
      for (const [address, r] of resources(json, "google_cloudfunctions2_function")) {
        if (isStep(block(block(r.service_config).environment_variables))) continue;
        if (addressOf(block(r.service_config).service_account_email) === sa) out.push({ address, condition: "admin-service-account", message: `runs as ${sa}, the database admin's service account` });
      }
      for (const [address, r] of resources(json, "google_cloud_run_v2_job")) {
        if (addressOf(block(block(r.template).template).service_account) === sa) out.push({ address, condition: "admin-service-account", message: `runs as ${sa}, the database admin's service account` });
      }
      for (const [address, r] of resources(json, "google_service_account_iam_member", "google_service_account_iam_binding")) {
        if (addressOf(r.service_account_id) === sa) out.push({ address, condition: "admin-service-account", message: `grants ${str(r.role) ?? "a role"} on ${sa}, the database admin's service account` });
      }
    }

    // Azure: the Entra administrator is the identity of the migration step's app, used by no other app.
    const appsByIdentity = new Map<string, [string, R][]>();
    for (const [address, r] of resources(json, "azurerm_function_app_flex_consumption", "azurerm_linux_function_app")) {
      for (const id of list<unknown>(block(r.identity).identity_ids)) {
        const key = addressOf(id);
        if (key) appsByIdentity.set(key, [...(appsByIdentity.get(key) ?? []), [address, r]]);
      }
    }
    for (const [address, r] of resources(json, "azurerm_postgresql_flexible_server_active_directory_administrator")) {
      const identity = addressOf(r.object_id);
      const apps = identity ? appsByIdentity.get(identity) ?? [] : [];
      if (!isReference(r.object_id) || !identity?.startsWith("azurerm_user_assigned_identity.")) {
        out.push({ address, condition: "entra-administrator", message: "the Entra administrator is not a managed identity of the stack (the deploying identity or a literal object id)" });
      } else if (apps.length !== 1 || !isStep(block(apps[0][1].app_settings))) {
        out.push({ address, condition: "entra-administrator", message: `the Entra administrator ${identity} is used by ${apps.map(([a]) => a).join(", ") || "no app"}, not by the migration step alone` });
      }
    }
    return out;
  },
};
