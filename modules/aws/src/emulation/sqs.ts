import { createHash, randomUUID } from "node:crypto";
import { EmulationHost, HttpAnswer, HttpExchange, jsonAnswer } from "@polycloud/core";
import { AwsIam, allows, statementsOf } from "./iam";
import { Caller } from "./lambda";
import { verifySignedRequest } from "./sigv4";
import { AwsValues } from "./values";

export interface SqsMessage {
  readonly id: string;
  readonly body: string;
  readonly attributes: Record<string, string>;
  readonly sentAt: number;
  receiveCount: number;
  firstReceiveAt?: number;
  visibleAt: number;
  receipt?: string;
}

export class SqsQueue {
  readonly messages: SqsMessage[] = [];
  readonly listeners: (() => void)[] = [];
  constructor(readonly address: string, readonly name: string, readonly arn: string, readonly url: string, readonly config: any) {}
  get visibilityTimeoutMs(): number { return Number(this.config.visibility_timeout_seconds ?? 30) * 1000; }
  get retentionMs(): number { return Number(this.config.message_retention_seconds ?? 345600) * 1000; }
  visible(now: number): SqsMessage[] { return this.messages.filter((m) => m.visibleAt <= now); }
}

const md5 = (s: string | Buffer) => createHash("md5").update(s).digest("hex");

/** SQS's MD5 of message attributes (name, type, transport byte, value; sorted by name), which the SDK checks. */
export function md5OfAttributes(attrs: Record<string, { DataType: string; StringValue?: string }>): string {
  const parts: Buffer[] = [];
  const len = (b: Buffer) => { const n = Buffer.alloc(4); n.writeUInt32BE(b.length); return n; };
  for (const name of Object.keys(attrs).sort()) {
    const a = attrs[name];
    const [n, t, v] = [Buffer.from(name), Buffer.from(a.DataType), Buffer.from(a.StringValue ?? "")];
    parts.push(len(n), n, len(t), t, Buffer.from([1]), len(v), v);
  }
  return md5(Buffer.concat(parts));
}

/**
 * SQS standard queues as the JSON configures them: visibility timeout, retention, redrive to a
 * DLQ after maxReceiveCount receives (aws_sqs_queue_redrive_policy), who may send (the sender's
 * identity policy, or the queue policy for a service such as EventBridge with aws:SourceArn),
 * and the JSON protocol API the SDK speaks (SendMessage, ReceiveMessage, DeleteMessage,
 * ChangeMessageVisibility, GetQueueAttributes, GetQueueUrl).
 */
export class SqsService {
  readonly queues = new Map<string, SqsQueue>();
  readonly region: string;

  constructor(private readonly host: EmulationHost, private readonly values: AwsValues, private readonly iam: AwsIam) {
    this.region = values.region;
    for (const [address, raw] of values.resources("aws_sqs_queue")) {
      const name = values.nameOf("aws_sqs_queue", address);
      this.queues.set(address, new SqsQueue(address, name, String(values.value("aws_sqs_queue", address, raw, "arn")), values.queueUrl(name), values.resolve(raw)));
    }
  }

  byArn(arn: string): SqsQueue | undefined { return [...this.queues.values()].find((q) => q.arn === arn); }
  byUrl(url: string): SqsQueue | undefined { return [...this.queues.values()].find((q) => q.url === url || q.url.endsWith(new URL(url).pathname)); }

  /** The redrive policy of a queue: its DLQ and maxReceiveCount. */
  redrive(q: SqsQueue): { dlq: SqsQueue; maxReceiveCount: number } | undefined {
    const own = q.config.redrive_policy;
    const sep = this.values.resources("aws_sqs_queue_redrive_policy").map(([, r]) => this.values.resolve(r)).find((r) => r.queue_url === q.url)?.redrive_policy;
    const text = sep ?? own;
    if (!text) return undefined;
    const p = typeof text === "string" ? JSON.parse(text) : text;
    const dlq = this.byArn(String(p.deadLetterTargetArn));
    return dlq ? { dlq, maxReceiveCount: Number(p.maxReceiveCount) } : undefined;
  }

  /** Whether `caller` may call `action` on the queue: identity policy (roles) or queue policy (services). */
  mayCall(q: SqsQueue, action: string, caller: Caller): boolean {
    if ("role" in caller && this.iam.roleAllows(caller.role, action, q.arn)) return true;
    const policies = this.values.resources("aws_sqs_queue_policy").map(([, p]) => this.values.resolve(p)).filter((p) => p.queue_url === q.url);
    const context: Record<string, string> = "service" in caller ? { "aws:SourceArn": caller.sourceArn, "aws:SourceAccount": this.values.account } : { "aws:SourceAccount": this.values.account };
    return policies.some((p) => allows(statementsOf(p.policy), action, q.arn, context, (principal) => {
      if (principal === "*" || principal?.AWS === "*") return true;
      if ("service" in caller) return [principal?.Service].flat().includes(caller.service);
      return [principal?.AWS].flat().some((a: string) => a === caller.role.roleArn || a === this.values.account || a === `arn:aws:iam::${this.values.account}:root`);
    }));
  }

  send(q: SqsQueue, body: string, attributes: Record<string, string> = {}, delaySeconds = Number(q.config.delay_seconds ?? 0)): SqsMessage {
    const now = this.host.clock.now();
    const m: SqsMessage = { id: randomUUID(), body, attributes, sentAt: now, receiveCount: 0, visibleAt: now + delaySeconds * 1000 };
    q.messages.push(m);
    this.host.clock.after(q.retentionMs, () => { const i = q.messages.indexOf(m); if (i >= 0) q.messages.splice(i, 1); }, `sqs retention ${q.name}`);
    this.wake(q, delaySeconds * 1000);
    return m;
  }

  /** Tells consumers of `q` that messages may be visible now or after `inMs`. */
  wake(q: SqsQueue, inMs = 0): void {
    const notify = () => q.listeners.forEach((l) => l());
    if (inMs <= 0) queueMicrotask(notify);
    else this.host.clock.after(inMs, notify, `sqs visible ${q.name}`);
  }

  /**
   * Receives up to `max` visible messages. A message received more than its DLQ's
   * maxReceiveCount times is moved to the DLQ instead (SQS does it when it would be received).
   */
  receive(q: SqsQueue, max: number, visibilityTimeoutMs = q.visibilityTimeoutMs): SqsMessage[] {
    const now = this.host.clock.now();
    const redrive = this.redrive(q);
    const out: SqsMessage[] = [];
    for (const m of q.visible(now)) {
      if (out.length >= max) break;
      if (redrive && m.receiveCount >= redrive.maxReceiveCount) {
        q.messages.splice(q.messages.indexOf(m), 1);
        redrive.dlq.messages.push({ ...m, receiveCount: 0, visibleAt: now, receipt: undefined });
        this.wake(redrive.dlq);
        continue;
      }
      m.receiveCount++;
      m.firstReceiveAt ??= now;
      m.visibleAt = now + visibilityTimeoutMs;
      m.receipt = randomUUID();
      out.push(m);
      this.wake(q, visibilityTimeoutMs);
    }
    return out;
  }

  delete(q: SqsQueue, receipt: string): void {
    const i = q.messages.findIndex((m) => m.receipt === receipt);
    if (i >= 0) q.messages.splice(i, 1);
  }

  /** Messages a consumer could receive now or later (not deleted). */
  depth(q: SqsQueue): number {
    return q.messages.length;
  }

  /** The SQS JSON protocol (AWS JSON 1.0, `X-Amz-Target: AmazonSQS.<Action>`), signed by a role. */
  async api(req: HttpExchange): Promise<HttpAnswer> {
    const target = /^AmazonSQS\.(\w+)$/.exec(req.headers["x-amz-target"] ?? "")?.[1];
    const err = (status: number, type: string, message: string) => jsonAnswer(status, { __type: `com.amazonaws.sqs#${type}`, message }, { "x-amzn-query-error": `${type};Sender` }) ;
    if (!target) return err(400, "InvalidAction", "only the JSON protocol is emulated");
    const signed = verifySignedRequest(req, this.iam.secretOf);
    if (signed === undefined) return err(403, "MissingAuthenticationToken", "the request is not signed");
    if (typeof signed === "string") return err(403, signed.split(":")[0], signed);
    const principal = this.iam.byAccessKey(signed.accessKeyId)!;
    const input = JSON.parse(req.body.toString("utf8") || "{}");
    if (target === "GetQueueUrl") {
      const q = [...this.queues.values()].find((x) => x.name === input.QueueName);
      return q ? jsonAnswer(200, { QueueUrl: q.url }) : err(400, "QueueDoesNotExist", "The specified queue does not exist.");
    }
    const q = input.QueueUrl ? this.byUrl(String(input.QueueUrl)) : undefined;
    if (!q) return err(400, "QueueDoesNotExist", "The specified queue does not exist.");
    if (!this.mayCall(q, `sqs:${target}`, { role: principal })) return err(403, "AccessDenied", `User: ${principal.roleArn} is not authorized to perform: sqs:${target} on resource: ${q.arn}`);
    switch (target) {
      case "SendMessage": {
        const attrs: Record<string, string> = {};
        for (const [k, v] of Object.entries<any>(input.MessageAttributes ?? {})) attrs[k] = String(v.StringValue ?? "");
        const m = this.send(q, String(input.MessageBody), attrs, input.DelaySeconds ?? Number(q.config.delay_seconds ?? 0));
        return jsonAnswer(200, { MessageId: m.id, MD5OfMessageBody: md5(m.body), ...(input.MessageAttributes ? { MD5OfMessageAttributes: md5OfAttributes(input.MessageAttributes) } : {}) });
      }
      case "ReceiveMessage": {
        const got = this.receive(q, Number(input.MaxNumberOfMessages ?? 1), input.VisibilityTimeout !== undefined ? Number(input.VisibilityTimeout) * 1000 : undefined);
        return jsonAnswer(200, { Messages: got.map((m) => ({ MessageId: m.id, ReceiptHandle: m.receipt, MD5OfBody: md5(m.body), Body: m.body, Attributes: { ApproximateReceiveCount: String(m.receiveCount), SentTimestamp: String(m.sentAt) } })) });
      }
      case "DeleteMessage":
        this.delete(q, String(input.ReceiptHandle));
        return jsonAnswer(200, {});
      case "ChangeMessageVisibility": {
        const m = q.messages.find((x) => x.receipt === input.ReceiptHandle);
        if (m) { m.visibleAt = this.host.clock.now() + Number(input.VisibilityTimeout) * 1000; this.wake(q, Number(input.VisibilityTimeout) * 1000); }
        return jsonAnswer(200, {});
      }
      case "GetQueueAttributes":
        return jsonAnswer(200, { Attributes: { QueueArn: q.arn, ApproximateNumberOfMessages: String(q.visible(this.host.clock.now()).length), VisibilityTimeout: String(q.visibilityTimeoutMs / 1000) } });
      default:
        return err(400, "InvalidAction", `${target} is not emulated`);
    }
  }
}
