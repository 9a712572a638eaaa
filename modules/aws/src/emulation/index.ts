import { CloudEmulation, EmulateCloud, EmulatedStack, componentKeyOf, pickComponent } from "@polycloud/core";
import { awsAlarms } from "./alarms";
import { HttpApi } from "./api-gateway";
import { startEventSourceMappings } from "./event-source-mapping";
import { EventBridge, EventRule } from "./eventbridge";
import { AwsIam } from "./iam";
import { LambdaService } from "./lambda";
import { startRds } from "./rds";
import { SecretsManager } from "./secrets-manager";
import { SqsQueue, SqsService } from "./sqs";
import { AwsValues } from "./values";

export { matchesEventPattern } from "./event-pattern";

/**
 * What `aws_lambda_invocation` does during apply: each invocation (in the order its dependencies
 * put it) calls its function synchronously with `input`, qualified as the JSON says; a function
 * error fails the deploy with the function's error, as it fails `terraform apply`.
 */
async function runInvocations(host: Parameters<EmulateCloud>[0], values: AwsValues, lambda: LambdaService, only?: (address: string, raw: any) => boolean): Promise<string[]> {
  const pending = new Map(values.resources("aws_lambda_invocation").filter(([a, r]) => !only || only(a, r)));
  const ran: string[] = [];
  while (pending.size) {
    const ready = [...pending].find(([, raw]) => !(raw.depends_on ?? []).some((d: string) => [...pending.keys()].some((a) => d === `aws_lambda_invocation.${a}`)));
    const [address, raw] = ready ?? [...pending][0];
    pending.delete(address);
    const inv = values.resolve(raw);
    const { fn } = lambda.resolve(String(inv.function_name));
    const qualifier = inv.qualifier === undefined ? undefined : String(inv.qualifier);
    const started = Date.now();
    const result = await lambda.invoke(fn, JSON.parse(String(inv.input ?? "{}")), `deploy:aws_lambda_invocation${qualifier ? ` (${qualifier})` : ""}`);
    if (!result.ok) throw new Error(`aws_lambda_invocation.${address}: ${fn.name} returned a function error (the apply fails): ${result.error?.type}: ${result.error?.message}`);
    host.log("runner", `[deploy] aws_lambda_invocation ${componentKeyOf(address) ?? address} ran ${fn.name} in ${Date.now() - started} ms: ${JSON.stringify(result.value).slice(0, 400)}`);
    ran.push(`aws_lambda_invocation.${address}`);
  }
  return ran;
}

/**
 * The AWS stack as the local runner runs it: Lambda, API Gateway HTTP APIs, SQS with event source
 * mappings, EventBridge, Aurora/RDS Proxy on PostgreSQL and the CloudWatch alarms it can
 * evaluate, all read from the stack's Terraform JSON.
 */
export const emulateAws: EmulateCloud = async (host, stack): Promise<CloudEmulation> => {
  const values = new AwsValues(stack);
  /** The invocations as last applied (a reload runs the ones that changed). */
  let applied = new Map(values.resources("aws_lambda_invocation").map(([a, r]) => [a, JSON.stringify(r)]));
  const iam = new AwsIam(values);
  const rdsAuthority = host.network.authority("Amazon RDS");
  // It signs every cluster's certificate, and stands in for the Amazon RDS roots functions are given.
  host.network.standIn(/(^|\n)CN=Amazon RDS /, rdsAuthority);
  // The Lambda runtime's CA bundle (/var/runtime/ca-cert.pem) holds the RDS certificate authorities.
  const lambda = new LambdaService(host, values, iam, { "/var/runtime/ca-cert.pem": rdsAuthority.certificateFile });
  const sqs = new SqsService(host, values, iam);
  lambda.sendToQueue = async (arn, body, attributes, caller) => {
    const q = sqs.byArn(arn);
    return q && sqs.mayCall(q, "sqs:SendMessage", caller) ? sqs.send(q, body, attributes).id : undefined;
  };
  const events = new EventBridge(host, values, iam, sqs, lambda);
  const region = values.region;
  host.network.serve(`sqs.${region}.amazonaws.com`, (r) => sqs.api(r));
  host.network.serve(`${region}.queue.amazonaws.com`, (r) => sqs.api(r));
  host.network.serve(`events.${region}.amazonaws.com`, (r) => events.api(r));
  host.network.serve(`lambda.${region}.amazonaws.com`, (r) => lambda.api(r));
  const secrets = new SecretsManager(values, iam);
  host.network.serve(`secretsmanager.${region}.amazonaws.com`, (r) => secrets.api(r));
  const rds = startRds(host, values, iam, rdsAuthority, secrets);
  rds.catch(() => undefined);
  await lambda.start();
  // The functions the apply invokes start while the database does (their cold start is the same).
  const warming = values.resources("aws_lambda_invocation").map(([, raw]) => lambda.resolve(String(values.resolve(raw.function_name))).fn.instance.warm());
  await Promise.all([rds, ...warming]);
  try {
    await runInvocations(host, values, lambda);
  } catch (err) {
    await lambda.stop();
    throw err;
  }
  startEventSourceMappings(host, values, sqs, lambda);

  const endpoints: Record<string, string> = {};
  const apis: HttpApi[] = [];
  for (const [address] of values.resources("aws_apigatewayv2_api")) {
    const api = new HttpApi(host, values, lambda, address);
    apis.push(api);
    const handler = (r: Parameters<HttpApi["handle"]>[0]) => api.handle(r);
    const raw = values.resource("aws_apigatewayv2_api", address);
    if (raw.disable_execute_api_endpoint !== true) {
      host.network.serve(api.domain, handler);
      endpoints[api.key] = await host.network.expose(api.key, handler);
    }
  }
  const invokeApi = await host.network.expose("Lambda Invoke API", (r) => lambda.api(r));
  for (const fn of lambda.functions.values()) endpoints[fn.key] = `${invokeApi}/2015-03-31/functions/${fn.name}/invocations`;

  const queues = new Map<string, SqsQueue>();
  for (const q of sqs.queues.values()) if (/_queue-[^_]+_queue_/.test(q.address)) queues.set(componentKeyOf(q.address)!, q);
  const rules = new Map<string, EventRule>(events.rules.map((r) => [r.key, r]));
  const buses = new Map<string, string>(values.resources("aws_cloudwatch_event_bus").map(([a]) => [componentKeyOf(a) ?? a, values.nameOf("aws_cloudwatch_event_bus", a)]));

  return {
    cloud: "aws",
    endpoints,
    issuers: [...new Map(apis.flatMap((a) => a.issuers()).map((i) => [i.issuer, i])).values()],
    async sendToQueue(name, body) {
      return sqs.send(pickComponent(name, queues), body).id;
    },
    async publish(name, e) {
      return events.put(pickComponent(name, buses), [{ source: e.source, detailType: e.type, detail: e.data, resources: e.subject ? [e.subject] : [] }])[0];
    },
    async fireSchedule(name) {
      events.fire(pickComponent(name, rules));
    },
    async deadLetters(name) {
      if (name.includes("rule:")) {
        const rule = pickComponent(name, rules);
        return rule.targets.flatMap((t) => sqs.byArn(String(t.dead_letter_config?.arn ?? ""))?.messages.map((m) => m.body) ?? []);
      }
      const redrive = sqs.redrive(pickComponent(name, queues));
      return redrive ? redrive.dlq.messages.map((m) => m.body) : [];
    },
    async alarms() {
      return awsAlarms(values, sqs, events, host.clock.now());
    },
    async reload(next: EmulatedStack) {
      const nextValues = new AwsValues(next);
      const changed = await lambda.reload(nextValues);
      // An invocation whose input, qualifier or triggers changed runs again, as the apply re-creates it.
      const ran = await runInvocations(host, nextValues, lambda, (a, r) => applied.get(a) !== JSON.stringify(r));
      applied = new Map(nextValues.resources("aws_lambda_invocation").map(([a, r]) => [a, JSON.stringify(r)]));
      return [...changed, ...ran];
    },
    async stop() {
      await lambda.stop();
    },
  };
};
