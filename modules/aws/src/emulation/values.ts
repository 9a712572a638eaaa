import { createHash } from "node:crypto";
import { EmulatedStack, Traversal, resolveReferences, timeProviderValue } from "@polycloud/core";

const short = (s: string, n = 10) => createHash("sha256").update(s).digest("hex").slice(0, n);

/**
 * The values AWS gives the attributes a stack references (ARNs, URLs, endpoints, ids), made
 * deterministic from the JSON: `${aws_sqs_queue.q.url}` becomes
 * `https://sqs.<region>.amazonaws.com/<account>/<name>`, as after an apply.
 */
export class AwsValues {
  readonly region: string;
  readonly account: string;

  constructor(readonly stack: EmulatedStack) {
    const provider = (stack.json.provider?.aws ?? [])[0] ?? {};
    this.region = provider.region ?? "us-east-1";
    this.account = String(provider.allowed_account_ids?.[0] ?? "000000000000");
  }

  resource(type: string, name: string): any {
    const r = this.stack.json.resource?.[type]?.[name];
    if (!r) throw new Error(`runner (aws): ${type}.${name} is referenced but not in the stack`);
    return r;
  }

  resources(type: string): [string, any][] {
    return Object.entries(this.stack.json.resource?.[type] ?? {});
  }

  /** Resolves every reference in a value of the JSON. */
  resolve<T = any>(value: unknown): T {
    return resolveReferences(value, (t) => this.attribute(t));
  }

  attribute(t: Traversal): unknown {
    if (t.mode === "data") throw new Error(`runner (aws): data source ${t.text} is not emulated`);
    const r = this.resource(t.type, t.name);
    const attr = String(t.path[0] ?? "id");
    let v = this.value(t.type, t.name, r, attr);
    // An argument of the resource reads back as the attribute of the same name.
    if (v === undefined && typeof t.path[0] === "string" && t.path[0] in r) v = this.resolve(r[t.path[0]]);
    if (v === undefined) throw new Error(`runner (aws): ${t.text}: attribute '${attr}' of ${t.type} is not emulated`);
    // Nested attributes (`master_user_secret[0].secret_arn`).
    for (const step of t.path.slice(1)) {
      // A block written as an object reads as a one-element list.
      v = typeof step === "number" && v !== null && typeof v === "object" && !Array.isArray(v) && step === 0 ? v : (v as any)?.[step];
      if (v === undefined) throw new Error(`runner (aws): ${t.text} is not emulated`);
    }
    return v;
  }

  private arn(service: string, rest: string, region = this.region): string {
    return `arn:aws:${service}:${region}:${this.account}:${rest}`;
  }

  /** A resource's name as AWS will have it (its name argument, resolved). */
  nameOf(type: string, name: string): string {
    const r = this.resource(type, name);
    const n = r.name ?? r.function_name ?? r.cluster_identifier ?? r.identifier ?? r.layer_name ?? name;
    return String(this.resolve(n));
  }

  value(type: string, name: string, r: any, attr: string): unknown {
    const time = timeProviderValue(type, name, attr);
    if (time !== undefined) return time;
    const plain = () => this.nameOf(type, name);
    switch (type) {
      case "aws_sqs_queue":
        return { name: plain(), arn: this.arn("sqs", plain()), url: this.queueUrl(plain()), id: this.queueUrl(plain()) }[attr];
      case "aws_cloudwatch_event_bus":
        return { name: plain(), id: plain(), arn: this.arn("events", `event-bus/${plain()}`) }[attr];
      case "aws_cloudwatch_event_rule": {
        const bus = r.event_bus_name ? String(this.resolve(r.event_bus_name)) : "default";
        return { name: plain(), id: `${bus}/${plain()}`, arn: this.arn("events", bus === "default" ? `rule/${plain()}` : `rule/${bus}/${plain()}`) }[attr];
      }
      case "aws_lambda_function": {
        const arn = this.arn("lambda", `function:${plain()}`);
        return { function_name: plain(), id: plain(), arn, qualified_arn: `${arn}:1`, version: "1", invoke_arn: `arn:aws:apigateway:${this.region}:lambda:path/2015-03-31/functions/${arn}/invocations` }[attr];
      }
      case "aws_lambda_alias": {
        const fn = String(this.resolve(r.function_name));
        const arn = `${this.arn("lambda", `function:${fn}`)}:${r.name}`;
        return { name: r.name, arn, id: arn, invoke_arn: `arn:aws:apigateway:${this.region}:lambda:path/2015-03-31/functions/${arn}/invocations` }[attr];
      }
      case "aws_iam_role":
        return { name: plain(), id: plain(), arn: `arn:aws:iam::${this.account}:role/${plain()}`, unique_id: `AROA${short(name, 16).toUpperCase()}` }[attr];
      case "aws_rds_cluster":
        return {
          endpoint: `${plain()}.cluster-c${short(name)}.${this.region}.rds.amazonaws.com`,
          reader_endpoint: `${plain()}.cluster-ro-c${short(name)}.${this.region}.rds.amazonaws.com`,
          port: 5432, id: plain(), cluster_identifier: plain(), arn: this.arn("rds", `cluster:${plain()}`),
          cluster_resource_id: `cluster-${short(name, 26).toUpperCase()}`, database_name: r.database_name, master_username: r.master_username,
          // manage_master_user_password: RDS keeps the master password in a secret of its own.
          master_user_secret: r.manage_master_user_password === true
            ? [{ secret_arn: this.arn("secretsmanager", `secret:rds!cluster-${short(`${name}/secret`, 8)}-${short(name, 4)}-${short(name, 12)}-${short(name, 6)}`), kms_key_id: this.resolve(r.master_user_secret_kms_key_id), secret_status: "active" }]
            : undefined,
        }[attr];
      case "aws_lambda_layer_version": {
        const arn = this.arn("lambda", `layer:${plain()}`);
        return { layer_arn: arn, arn: `${arn}:1`, id: `${arn}:1`, version: "1" }[attr];
      }
      case "aws_db_proxy":
        return { endpoint: `${plain()}.proxy-c${short(name)}.${this.region}.rds.amazonaws.com`, id: plain(), name: plain(), arn: this.arn("rds", `db-proxy:prx-${short(name, 17)}`) }[attr];
      case "aws_db_proxy_endpoint":
        return { endpoint: `${r.db_proxy_endpoint_name ?? name}.endpoint.proxy-c${short(name)}.${this.region}.rds.amazonaws.com` }[attr];
      case "aws_apigatewayv2_api": {
        const id = short(name, 10);
        return { id, api_endpoint: `https://${id}.execute-api.${this.region}.amazonaws.com`, execution_arn: `arn:aws:execute-api:${this.region}:${this.account}:${id}`, arn: `arn:aws:apigateway:${this.region}::/apis/${id}` }[attr];
      }
      case "aws_secretsmanager_secret":
        return { name: plain(), id: this.arn("secretsmanager", `secret:${plain()}-${short(name, 6)}`), arn: this.arn("secretsmanager", `secret:${plain()}-${short(name, 6)}`) }[attr];
      case "aws_cloudwatch_log_group":
        return { name: plain(), id: plain(), arn: this.arn("logs", `log-group:${plain()}`) }[attr];
      case "aws_sns_topic":
        return { name: plain(), id: this.arn("sns", plain()), arn: this.arn("sns", plain()) }[attr];
      case "aws_kms_key":
        return { key_id: short(name, 32), id: short(name, 32), arn: this.arn("kms", `key/${short(name, 32)}`) }[attr];
      default:
        // Network and other plumbing: ids only (what the behaviour of functions does not depend on).
        if (attr === "id") return `${type.replace(/^aws_/, "")}-${short(name, 12)}`;
        if (attr === "name") return plain();
        if (attr === "arn") return this.arn(type.replace(/^aws_/, "").split("_")[0], `${type}/${plain()}`);
        return undefined;
    }
  }

  queueUrl(queueName: string): string {
    return `https://sqs.${this.region}.amazonaws.com/${this.account}/${queueName}`;
  }

  /** The Terraform address a resolved ARN, URL or name belongs to, among resources of `type`. */
  find(type: string, value: string): string | undefined {
    for (const [name] of this.resources(type)) {
      for (const attr of ["arn", "url", "name", "function_name", "id"]) {
        try {
          if (this.value(type, name, this.resource(type, name), attr) === value) return name;
        } catch {
          // not resolvable: not this one
        }
      }
    }
    return undefined;
  }
}
