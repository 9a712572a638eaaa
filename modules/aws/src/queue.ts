import { Lazy } from "cdktf";
import { Construct } from "constructs";
import { AlarmInfo, NAME_RULES, PlatformQueue, QueueSpec, ResolvedQueue, resolveQueue, envVarPart } from "@polycloud/core";
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { SqsQueueRedriveAllowPolicy } from "@cdktf/provider-aws/lib/sqs-queue-redrive-allow-policy";
import { SqsQueueRedrivePolicy } from "@cdktf/provider-aws/lib/sqs-queue-redrive-policy";
import { createAlarm, dlqDepthAlarm } from "./alarm";
import { AwsContext } from "./context";
import { AwsFunction } from "./function";
import { Statement, denyInsecureTransport, policyDocument } from "./iam";

export interface AwsQueueProps {
  readonly context: AwsContext;
  readonly logicalId: string;
  readonly spec: QueueSpec;
  /** The consuming function; its timeout sets the default visibility window. */
  readonly consumer?: AwsFunction;
}

/**
 * SQS queue and DLQ (SSE, redrive with maxReceiveCount, redrive-allow limited to the source queue,
 * TLS-only policies) and the consumer's event source mapping with partial batch failures.
 */
export class AwsQueue extends Construct implements PlatformQueue {
  readonly logicalId: string;
  readonly spec: QueueSpec;
  readonly resolved: ResolvedQueue;
  readonly queue: SqsQueue;
  readonly dlq: SqsQueue;
  readonly alarms: AlarmInfo[] = [];
  private readonly queueStatements: Statement[] = [];

  constructor(scope: Construct, id: string, props: AwsQueueProps) {
    super(scope, id);
    const { context: ctx, spec } = props;
    this.spec = spec;
    this.logicalId = props.logicalId;
    const r = (this.resolved = resolveQueue(spec, props.consumer?.spec.timeoutSeconds ?? 30));

    this.dlq = new SqsQueue(this, "dlq", {
      name: ctx.namer.name(NAME_RULES.aws.sqs, props.logicalId, "dlq"),
      // Standard queues keep the original enqueue time, so the DLQ must outlive the source.
      messageRetentionSeconds: r.dlqRetentionSeconds,
      sqsManagedSseEnabled: true,
    });
    this.queue = new SqsQueue(this, "queue", {
      name: ctx.namer.name(NAME_RULES.aws.sqs, props.logicalId),
      visibilityTimeoutSeconds: r.visibilityTimeoutSeconds,
      messageRetentionSeconds: r.retentionSeconds,
      receiveWaitTimeSeconds: 20,
      sqsManagedSseEnabled: true,
    });
    // Separate redrive resources avoid a dependency cycle between the two queues.
    new SqsQueueRedrivePolicy(this, "redrive", {
      queueUrl: this.queue.url,
      redrivePolicy: JSON.stringify({ deadLetterTargetArn: this.dlq.arn, maxReceiveCount: r.maxDeliveryAttempts }),
    });
    new SqsQueueRedriveAllowPolicy(this, "redrive-allow", {
      queueUrl: this.dlq.url,
      redriveAllowPolicy: JSON.stringify({ redrivePermission: "byQueue", sourceQueueArns: [this.queue.arn] }),
    });
    new SqsQueuePolicy(this, "policy", {
      queueUrl: this.queue.url,
      policy: Lazy.stringValue({ produce: () => policyDocument([...this.queueStatements, denyInsecureTransport("sqs:*", this.queue.arn)]) }),
    });
    new SqsQueuePolicy(this, "dlq-policy", {
      queueUrl: this.dlq.url,
      policy: policyDocument([denyInsecureTransport("sqs:*", this.dlq.arn)]),
    });

    if (props.consumer) {
      const fn = props.consumer;
      fn.addToRolePolicy({
        Sid: `Consume${sid(props.logicalId)}`,
        Effect: "Allow",
        Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"],
        Resource: this.queue.arn,
      });
      // No SQS endpoint for the consumer: the event source mapping polls the queue from the Lambda
      // service, outside the function's VPC. Only senders (grantSend) call SQS from the VPC.
      new LambdaEventSourceMapping(this, "consumer", {
        eventSourceArn: this.queue.arn,
        functionName: fn.invokeArn,
        batchSize: r.batchSize,
        maximumBatchingWindowInSeconds: r.batchWindowSeconds,
        functionResponseTypes: ["ReportBatchItemFailures"],
        scalingConfig: spec.maxConcurrency ? { maximumConcurrency: spec.maxConcurrency } : undefined,
        // The mapping must not start polling before the role can read the queue.
        dependsOn: [fn.role],
      });
    }

    const t = ctx.thresholds;
    this.alarms.push(
      createAlarm(this, "age-alarm", ctx, {
        signal: "queue.oldestMessageAge", nameParts: [props.logicalId, "oldest-message-age"],
        description: `Queue ${props.logicalId}: oldest message older than ${t.queueOldestMessageAgeSeconds}s`,
        threshold: t.queueOldestMessageAgeSeconds,
        metric: { namespace: "AWS/SQS", metricName: "ApproximateAgeOfOldestMessage", dimensions: { QueueName: this.queue.name }, statistic: "Maximum" },
      }),
      createAlarm(this, "dlq-alarm", ctx, {
        signal: "queue.dlqDepth", nameParts: [props.logicalId, "dlq-depth"],
        description: `Queue ${props.logicalId}: messages in the DLQ`,
        ...dlqDepthAlarm(this.dlq.name),
      }),
    );
  }

  /** Adds a statement to the source queue's resource policy (e.g. EventBridge delivery). */
  addToQueuePolicy(statement: Statement): void {
    this.queueStatements.push(statement);
  }

  grantSend(fn: AwsFunction): void {
    fn.addToRolePolicy({ Sid: `Send${sid(this.logicalId)}`, Effect: "Allow", Action: ["sqs:SendMessage", "sqs:GetQueueAttributes"], Resource: this.queue.arn });
    fn.addEnvironment(`QUEUE_${envVarPart(this.logicalId)}_URL`, this.queue.url);
    fn.needsEndpoint("sqs");
  }
}

export function sid(text: string): string {
  return text.replace(/(^|[^A-Za-z0-9])([A-Za-z0-9])/g, (_m, _s, c: string) => c.toUpperCase()).replace(/[^A-Za-z0-9]/g, "");
}

