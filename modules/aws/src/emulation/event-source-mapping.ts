import { EmulationHost, componentKeyOf } from "@polycloud/core";
import { LambdaService } from "./lambda";
import { SqsQueue, SqsService } from "./sqs";
import { AwsValues } from "./values";

/**
 * A Lambda event source mapping on an SQS queue: it receives batches (batch_size, waiting up to
 * maximum_batching_window_in_seconds for a full one, the queue's visibility timeout), invokes
 * the function synchronously, deletes what succeeded (all of the batch, or, with
 * ReportBatchItemFailures, all but the items the function reports), and leaves the rest to
 * reappear after the visibility timeout. scaling_config.maximum_concurrency bounds batches in flight.
 */
export class SqsEventSourceMapping {
  private busy = 0;
  private windowTimer?: { cancel(): void };
  private readonly batchSize: number;
  private readonly windowMs: number;
  private readonly reportFailures: boolean;
  private readonly maxConcurrency: number;
  readonly trigger: string;

  constructor(private readonly host: EmulationHost, private readonly sqs: SqsService, private readonly lambda: LambdaService, private readonly queue: SqsQueue, private readonly functionRef: string, config: any, address: string) {
    this.batchSize = Number(config.batch_size ?? 10);
    this.windowMs = Number(config.maximum_batching_window_in_seconds ?? 0) * 1000;
    this.reportFailures = (config.function_response_types ?? []).includes("ReportBatchItemFailures");
    this.maxConcurrency = Number(config.scaling_config?.maximum_concurrency ?? 1000);
    this.trigger = componentKeyOf(queue.address) ?? address;
    queue.listeners.push(() => this.poll());
  }

  private poll(): void {
    if (this.busy >= this.maxConcurrency) return;
    const visible = this.queue.visible(this.host.clock.now()).length;
    if (!visible) return;
    if (visible < this.batchSize && this.windowMs > 0) {
      this.windowTimer ??= this.host.clock.after(this.windowMs, () => { this.windowTimer = undefined; this.run(); }, `batching window ${this.queue.name}`);
      return;
    }
    this.windowTimer?.cancel();
    this.windowTimer = undefined;
    this.run();
  }

  private run(): void {
    const batch = this.sqs.receive(this.queue, this.batchSize);
    if (!batch.length) return;
    this.busy++;
    const { fn } = this.lambda.resolve(this.functionRef);
    const event = {
      Records: batch.map((m) => ({
        messageId: m.id, receiptHandle: m.receipt, body: m.body,
        attributes: { ApproximateReceiveCount: String(m.receiveCount), SentTimestamp: String(m.sentAt), SenderId: "AROAEXAMPLE", ApproximateFirstReceiveTimestamp: String(m.firstReceiveAt) },
        messageAttributes: Object.fromEntries(Object.entries(m.attributes).map(([k, v]) => [k, { stringValue: v, stringListValues: [], binaryListValues: [], dataType: "String" }])),
        md5OfBody: "", eventSource: "aws:sqs", eventSourceARN: this.queue.arn, awsRegion: this.sqs.region,
      })),
    };
    const work = (async () => {
      const result = await this.lambda.invoke(fn, event, this.trigger);
      let failed = new Set(batch.map((m) => m.id));
      if (result.ok) {
        const reported = (result.value as any)?.batchItemFailures;
        if (!this.reportFailures || reported === undefined || reported === null || (Array.isArray(reported) && reported.length === 0)) failed = new Set();
        else if (Array.isArray(reported) && reported.every((f: any) => batch.some((m) => m.id === f?.itemIdentifier))) failed = new Set(reported.map((f: any) => String(f.itemIdentifier)));
        // Anything else (an identifier not in the batch, a malformed list) fails the whole batch.
      }
      for (const m of batch) if (!failed.has(m.id) && m.receipt) this.sqs.delete(this.queue, m.receipt);
    })();
    void this.host.clock.track(work.finally(() => { this.busy--; this.poll(); }));
  }
}

export function startEventSourceMappings(host: EmulationHost, values: AwsValues, sqs: SqsService, lambda: LambdaService): SqsEventSourceMapping[] {
  const out: SqsEventSourceMapping[] = [];
  for (const [address, raw] of values.resources("aws_lambda_event_source_mapping")) {
    const config = values.resolve(raw);
    if (config.enabled === false) continue;
    const queue = sqs.byArn(String(config.event_source_arn));
    if (!queue) { host.log("lambda", `event source mapping ${address}: ${config.event_source_arn} is not an SQS queue of the stack (not emulated)`); continue; }
    out.push(new SqsEventSourceMapping(host, sqs, lambda, queue, String(config.function_name), config, address));
  }
  for (const q of sqs.queues.values()) sqs.wake(q);
  return out;
}
