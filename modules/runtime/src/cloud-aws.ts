import { createHash, createHmac } from "node:crypto";
import { EVENT_ID_RESOURCE } from "./adapters";
import { CloudImplementation } from "./cloud";
import { DatabaseEndpoint } from "./env";


// The SQS and EventBridge clients ship with the Lambda Node.js runtime; packaging leaves them
// out of the bundle and they are loaded on first use, so a cold start that sends nothing never
// pays for them.
let sqs: any;
let eventBridge: any;

const bytes = (d: string | ArrayBuffer | ArrayBufferView): string | Uint8Array =>
  typeof d === "string" ? d : d instanceof ArrayBuffer ? new Uint8Array(d) : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);

/** SHA-256 for SigV4 without the SDK's checksum stack. */
class Sha256 {
  private readonly h;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) { this.h = secret ? createHmac("sha256", bytes(secret)) : createHash("sha256"); }
  update(data: string | ArrayBuffer | ArrayBufferView): void { this.h.update(bytes(data)); }
  async digest(): Promise<Uint8Array> { return new Uint8Array(this.h.digest()); }
}

const escape = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * The RDS IAM auth token: a SigV4-presigned `connect` URL without its scheme, valid 15 minutes,
 * signed with the function's role credentials (Lambda puts them in the environment). The same
 * token @aws-sdk/rds-signer produces (a test compares both), without its credential-chain stack.
 */
export async function rdsAuthToken(ep: Pick<DatabaseEndpoint, "host" | "port" | "user">, env: Record<string, string | undefined> = process.env): Promise<string> {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken, AWS_REGION: region } = env;
  if (!accessKeyId || !secretAccessKey || !region) throw new Error("@polycloud/runtime: no AWS credentials/region in the environment for the RDS IAM token");
  const { SignatureV4 } = await import("@smithy/signature-v4");
  const signer = new SignatureV4({ service: "rds-db", region, credentials: { accessKeyId, secretAccessKey, sessionToken }, sha256: Sha256 });
  const signed = await signer.presign({
    method: "GET", protocol: "https:", hostname: ep.host, port: ep.port, path: "/",
    query: { Action: "connect", DBUser: ep.user }, headers: { host: `${ep.host}:${ep.port}` },
  }, { expiresIn: 900 });
  const q = signed.query ?? {};
  const query = Object.keys(q).sort().map((k) => `${escape(k)}=${escape(String(q[k]))}`).join("&");
  return `${ep.host}:${ep.port}/?${query}`;
}

/** SQS, EventBridge and RDS IAM auth tokens (RDS Proxy requires IAM auth and TLS). */
const aws: CloudImplementation = {
  cloud: "aws",
  async sendToQueue(queueUrl, body, attributes) {
    const m = await import("@aws-sdk/client-sqs");
    sqs ??= new m.SQSClient({});
    const MessageAttributes = Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, { DataType: "String", StringValue: v }]));
    await sqs.send(new m.SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, MessageAttributes: Object.keys(MessageAttributes).length ? MessageAttributes : undefined }));
  },
  async publishEvent(busName, e) {
    const m = await import("@aws-sdk/client-eventbridge");
    eventBridge ??= new m.EventBridgeClient({});
    const out = await eventBridge.send(new m.PutEventsCommand({
      // EventBridge makes its own event id: the publisher's travels as a resource (adapters.ts).
      Entries: [{ EventBusName: busName, Source: e.source, DetailType: e.type, Detail: JSON.stringify(e.data ?? {}), Resources: [...(e.subject ? [e.subject] : []), `${EVENT_ID_RESOURCE}${e.id}`], Time: new Date(e.time) }],
    }));
    if (out.FailedEntryCount) throw new Error(`EventBridge rejected the event: ${out.Entries?.[0]?.ErrorCode} ${out.Entries?.[0]?.ErrorMessage}`);
  },
  databaseToken: (ep) => rdsAuthToken(ep),
};
export default aws;
