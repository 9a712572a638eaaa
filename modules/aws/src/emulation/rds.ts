import { randomBytes } from "node:crypto";
import { CertificateAuthority, DatabaseInstance, EmulationHost } from "@polycloud/core";
import { AwsIam } from "./iam";
import { SecretsManager } from "./secrets-manager";
import { verifyRdsToken } from "./sigv4";
import { AwsValues } from "./values";

export interface RdsDatabase {
  readonly address: string;
  readonly hostnames: string[];
  readonly instance: DatabaseInstance;
}

/**
 * Aurora PostgreSQL clusters (and an RDS Proxy in front when the JSON has one) on the runner's
 * PostgreSQL: the database `database_name` owned by `master_username` (CREATEROLE, with ADMIN
 * OPTION on rds_iam, as rds_superuser has), TLS with a certificate from the runner's "Amazon RDS"
 * authority (which stands in for the Amazon RDS roots a function is given, e.g. the regional
 * bundle in a layer) on the cluster and from the public authority on a proxy (RDS Proxy's
 * certificates chain to Amazon's public roots), and two ways in: the master user's password, kept
 * by RDS in Secrets Manager when `manage_master_user_password` is on (made at deploy), and IAM
 * authentication, where the password must be an RDS IAM token signed by a role whose policy allows
 * rds-db:connect on `dbuser:<resource id>/<user>`. Function roles are the deploy's: the stack's
 * migration step creates and grants them; a stack without one (no aws_lambda_invocation) gets
 * them as the roles SQL run by hand would leave them. An RDS Proxy pools (PgBouncer, transaction
 * mode).
 */
export async function startRds(host: EmulationHost, values: AwsValues, iam: AwsIam, authority: CertificateAuthority, secrets: SecretsManager): Promise<RdsDatabase[]> {
  const out: RdsDatabase[] = [];
  const deployRunsCode = values.resources("aws_lambda_invocation").length > 0;
  for (const [address, raw] of values.resources("aws_rds_cluster")) {
    const c = values.resolve(raw);
    if (!String(c.engine ?? "").includes("postgres")) continue;
    const endpoint = String(values.value("aws_rds_cluster", address, raw, "endpoint"));
    const reader = String(values.value("aws_rds_cluster", address, raw, "reader_endpoint"));
    const resourceIds = [String(values.value("aws_rds_cluster", address, raw, "cluster_resource_id"))];
    const hostnames = [endpoint, reader];
    const proxies: string[] = [];
    let pooled = false;
    let proxyTls = false;
    let proxyIam = false;
    for (const [proxyAddress, proxyRaw] of values.resources("aws_db_proxy")) {
      const targets = values.resources("aws_db_proxy_target").filter(([, t]) => String(t.db_proxy_name).includes(`aws_db_proxy.${proxyAddress}.`) && String(t.db_cluster_identifier ?? "").includes(`aws_rds_cluster.${address}.`));
      if (!targets.length) continue;
      const p = values.resolve(proxyRaw);
      proxies.push(String(values.value("aws_db_proxy", proxyAddress, proxyRaw, "endpoint")));
      resourceIds.push(String(values.value("aws_db_proxy", proxyAddress, proxyRaw, "arn")).split(":").pop()!);
      pooled = true;
      proxyTls ||= p.require_tls === true;
      proxyIam ||= (p.auth ?? []).some((a: any) => a.iam_auth === "REQUIRED");
    }
    const params = values.resources("aws_rds_cluster_parameter_group").find(([a]) => String(raw.db_cluster_parameter_group_name ?? "").includes(`.${a}.`))?.[1];
    const forceSsl = (params?.parameter ?? []).some((p: any) => p.name === "rds.force_ssl" && String(p.value) === "1");
    const iamAuth = c.iam_database_authentication_enabled === true || proxyIam;
    const master = String(c.master_username ?? "postgres");
    let masterPassword: string | undefined;
    if (c.manage_master_user_password === true) {
      masterPassword = randomBytes(24).toString("base64url");
      const secret = (values.value("aws_rds_cluster", address, raw, "master_user_secret") as { secret_arn: string; kms_key_id?: string }[])[0];
      secrets.put(secret.secret_arn, JSON.stringify({ username: master, password: masterPassword }), secret.kms_key_id);
    }
    const users = new Set<string>();
    for (const [, fnRaw] of values.resources("aws_lambda_function")) {
      const env = values.resolve(fnRaw.environment?.variables ?? {});
      for (const [k, v] of Object.entries<string>(env)) {
        const m = /^DB_([A-Z0-9_]+)_HOST$/.exec(k);
        if (m && [...hostnames, ...proxies].includes(v) && env[`DB_${m[1]}_USER`]) users.add(env[`DB_${m[1]}_USER`]);
      }
    }
    users.delete(master);
    const instance = await host.databases.launch({
      key: address, database: String(c.database_name ?? "postgres"), admin: master,
      adminGroups: iamAuth ? ["rds_iam"] : [],
      roles: deployRunsCode ? [] : [...users].map((name) => ({ name, memberOf: iamAuth ? ["rds_iam"] : [] })),
      clients: [...users],
      grantFunctionRoles: !deployRunsCode,
      pool: pooled ? { mode: "transaction", size: 10 } : undefined,
      endpoints: [
        { hostnames, port: Number(c.port ?? 5432), pooled: false, authority, requireTls: forceSsl },
        ...(proxies.length ? [{ hostnames: proxies, port: 5432, pooled: true, authority: host.network.publicAuthority, requireTls: proxyTls }] : []),
      ],
      verify: async (user, password) => {
        if (user === master && masterPassword !== undefined && password === masterPassword) return undefined;
        if (!iamAuth) return `password authentication failed for user "${user}"`;
        const all = [...hostnames, ...proxies];
        const ok = all.map((h) => verifyRdsToken(password, { host: h, port: Number(c.port ?? 5432) }, host.clock.now(), iam.secretOf)).find((r) => typeof r !== "string") ?? verifyRdsToken(password, { host: endpoint, port: Number(c.port ?? 5432) }, host.clock.now(), iam.secretOf);
        if (typeof ok === "string") return user === master ? `password authentication failed for user "${user}"` : ok;
        if (ok.dbUser !== user) return `the token is for database user ${ok.dbUser}, not ${user}`;
        const principal = iam.byAccessKey(ok.accessKeyId)!;
        const allowed = resourceIds.some((id) => iam.roleAllows(principal, "rds-db:connect", `arn:aws:rds-db:${values.region}:${values.account}:dbuser:${id}/${user}`));
        return allowed ? undefined : `${principal.roleArn} is not allowed rds-db:connect as ${user}`;
      },
    });
    out.push({ address, hostnames: [...hostnames, ...proxies], instance });
  }
  return out;
}
