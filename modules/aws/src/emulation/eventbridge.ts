import { randomUUID } from "node:crypto";
import { EmulationHost, HttpAnswer, HttpExchange, componentKeyOf, jsonAnswer } from "@polycloud/core";
import { matchesEventPattern } from "./event-pattern";
import { AwsIam } from "./iam";
import { targetInput } from "./input-transformer";
import { Caller, LambdaService } from "./lambda";
import { SqsService } from "./sqs";
import { verifySignedRequest } from "./sigv4";
import { AwsValues } from "./values";

export interface EventRule {
  readonly address: string;
  /** `<service>/rule:<bus>/<rule>`. */
  readonly key: string;
  readonly name: string;
  readonly arn: string;
  readonly bus: string;
  readonly pattern?: unknown;
  readonly schedule?: string;
  readonly targets: any[];
}

/**
 * EventBridge: custom buses and the default bus, rules (event patterns evaluated by
 * `matchesEventPattern`, or schedules fired on demand), targets (SQS queues and Lambda
 * functions, with their input, input path or input transformer), each target's retry policy
 * and dead-letter queue, and PutEvents as the SDK calls it. Delivery needs the target's own
 * policy: the queue policy (events.amazonaws.com, aws:SourceArn of the rule) or the function's
 * aws_lambda_permission; a target that refuses the event sends it to the DLQ at once, as
 * EventBridge does for permission errors.
 */
export class EventBridge {
  readonly rules: EventRule[] = [];
  readonly sentToDlq = new Map<string, number>();
  readonly failed = new Map<string, number>();

  constructor(private readonly host: EmulationHost, private readonly values: AwsValues, private readonly iam: AwsIam, private readonly sqs: SqsService, private readonly lambda: LambdaService) {
    for (const [address, raw] of values.resources("aws_cloudwatch_event_rule")) {
      const r = values.resolve(raw);
      if (r.state === "DISABLED" || r.is_enabled === false) continue;
      const c = componentKeyOf(address) ?? address;
      const ruleId = address.split("_").find((p) => p.startsWith("rule-"))?.slice("rule-".length) ?? r.name;
      const targets = values.resources("aws_cloudwatch_event_target").filter(([, t]) => String(t.rule).includes(`aws_cloudwatch_event_rule.${address}.`)).map(([, t]) => values.resolve(t));
      this.rules.push({
        address, key: c.replace(/\/bus:(.+)$/, `/rule:$1/${ruleId}`), name: String(r.name), arn: String(values.value("aws_cloudwatch_event_rule", address, raw, "arn")),
        bus: String(r.event_bus_name ?? "default"), pattern: r.event_pattern ? JSON.parse(r.event_pattern) : undefined, schedule: r.schedule_expression, targets,
      });
    }
  }

  busArn(name: string): string {
    return `arn:aws:events:${this.values.region}:${this.values.account}:event-bus/${name}`;
  }

  /** Puts events on a bus; returns their ids. */
  put(busName: string, entries: { source: string; detailType: string; detail: unknown; resources?: string[]; time?: string }[]): string[] {
    return entries.map((e) => {
      const event = {
        version: "0", id: randomUUID(), "detail-type": e.detailType, source: e.source, account: this.values.account,
        time: (e.time ? new Date(e.time) : new Date(this.host.clock.now())).toISOString().replace(/\.\d{3}Z$/, "Z"),
        region: this.values.region, resources: e.resources ?? [], detail: e.detail ?? {},
      };
      for (const rule of this.rules) {
        if (rule.bus !== busName || !rule.pattern) continue;
        if (matchesEventPattern(rule.pattern, event)) for (const t of rule.targets) this.deliver(rule, t, event, 0, this.host.clock.now());
      }
      return event.id;
    });
  }

  /** A scheduled rule's tick: EventBridge's Scheduled Event, through the targets' inputs. */
  fire(rule: EventRule): void {
    if (!rule.schedule) throw new Error(`runner (aws): rule ${rule.key} has no schedule`);
    const event = {
      version: "0", id: randomUUID(), "detail-type": "Scheduled Event", source: "aws.events", account: this.values.account,
      time: new Date(this.host.clock.now()).toISOString().replace(/\.\d{3}Z$/, "Z"), region: this.values.region, resources: [rule.arn], detail: {},
    };
    for (const t of rule.targets) this.deliver(rule, t, event, 0, this.host.clock.now());
  }

  private deliver(rule: EventRule, target: any, event: Record<string, unknown>, attempt: number, firstAt: number): void {
    const body = targetInput(target, event, rule.arn, rule.name);
    const caller: Caller = { service: "events.amazonaws.com", sourceArn: rule.arn };
    const arn = String(target.arn);
    let error: { code: string; message: string; permanent: boolean } | undefined;
    if (arn.startsWith("arn:aws:sqs:")) {
      const q = this.sqs.byArn(arn);
      if (!q) error = { code: "ResourceNotFoundException", message: `${arn} does not exist`, permanent: true };
      else if (!this.sqs.mayCall(q, "sqs:SendMessage", caller)) error = { code: "AccessDenied", message: `events.amazonaws.com may not send to ${arn} for ${rule.arn}`, permanent: true };
      else this.sqs.send(q, body);
    } else if (arn.startsWith("arn:aws:lambda:")) {
      try {
        const { fn, qualifier } = this.lambda.resolve(arn);
        if (!this.lambda.mayInvoke(fn, caller, qualifier)) error = { code: "AccessDeniedException", message: `events.amazonaws.com may not invoke ${arn} for ${rule.arn}`, permanent: true };
        else this.lambda.invokeAsync(fn, JSON.parse(body), rule.key);
      } catch (err) {
        error = { code: "ResourceNotFoundException", message: String(err), permanent: true };
      }
    } else {
      error = { code: "NotEmulated", message: `target ${arn} is not emulated`, permanent: true };
    }
    if (!error) return;
    this.failed.set(rule.name, (this.failed.get(rule.name) ?? 0) + 1);
    this.host.log("eventbridge", `rule ${rule.name}: delivery to ${arn} failed: ${error.code}: ${error.message}`);
    const maxRetries = Number(target.retry_policy?.maximum_retry_attempts ?? 185);
    const maxAge = Number(target.retry_policy?.maximum_event_age_in_seconds ?? 86400) * 1000;
    const backoff = Math.min(300_000, 1000 * 2 ** attempt);
    if (!error.permanent && attempt < maxRetries && this.host.clock.now() + backoff - firstAt <= maxAge) {
      this.host.clock.after(backoff, () => this.deliver(rule, target, event, attempt + 1, firstAt), `eventbridge retry ${rule.name}`);
      return;
    }
    const dlqArn = target.dead_letter_config?.arn;
    const dlq = dlqArn ? this.sqs.byArn(String(dlqArn)) : undefined;
    if (dlq && this.sqs.mayCall(dlq, "sqs:SendMessage", caller)) {
      this.sqs.send(dlq, JSON.stringify(event), { RULE_ARN: rule.arn, TARGET_ARN: arn, ERROR_CODE: error.code, ERROR_MESSAGE: error.message });
      this.sentToDlq.set(rule.name, (this.sentToDlq.get(rule.name) ?? 0) + 1);
    } else {
      this.host.log("eventbridge", `rule ${rule.name}: event ${event.id} dropped (${dlqArn ? "the DLQ's policy refuses EventBridge" : "no dead-letter queue"})`);
    }
  }

  /** PutEvents (AWS JSON 1.1, `X-Amz-Target: AWSEvents.PutEvents`), signed by a role allowed events:PutEvents on the bus. */
  async api(req: HttpExchange): Promise<HttpAnswer> {
    const action = /^AWSEvents\.(\w+)$/.exec(req.headers["x-amz-target"] ?? "")?.[1];
    const err = (status: number, type: string, message: string) => jsonAnswer(status, { __type: type, message }, {}) ;
    if (action !== "PutEvents") return err(400, "UnknownOperationException", `${action ?? "this operation"} is not emulated`);
    const signed = verifySignedRequest(req, this.iam.secretOf);
    if (signed === undefined) return err(403, "MissingAuthenticationTokenException", "the request is not signed");
    if (typeof signed === "string") return err(403, signed.split(":")[0], signed);
    const principal = this.iam.byAccessKey(signed.accessKeyId)!;
    const input = JSON.parse(req.body.toString("utf8") || "{}");
    const entries: any[] = input.Entries ?? [];
    const out: { EventId?: string; ErrorCode?: string; ErrorMessage?: string }[] = [];
    for (const e of entries) {
      const busName = String(e.EventBusName ?? "default").replace(/^arn:aws:events:[^:]+:\d+:event-bus\//, "");
      if (!this.iam.roleAllows(principal, "events:PutEvents", this.busArn(busName))) {
        return err(400, "AccessDeniedException", `User: ${principal.roleArn} is not authorized to perform: events:PutEvents on resource: ${this.busArn(busName)}`);
      }
      let detail: unknown;
      try { detail = JSON.parse(String(e.Detail ?? "{}")); } catch { out.push({ ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." }); continue; }
      const [id] = this.put(busName, [{ source: String(e.Source), detailType: String(e.DetailType), detail, resources: e.Resources, time: typeof e.Time === "number" ? new Date(e.Time * 1000).toISOString() : e.Time }]);
      out.push({ EventId: id });
    }
    return jsonAnswer(200, { FailedEntryCount: out.filter((o) => o.ErrorCode).length, Entries: out });
  }
}
