// Reference queue consumer, deployed from this one folder to every cloud.
// - AWS: SQS batch; reports partial batch failures so only failed messages are retried and,
//   after maxDeliveryAttempts, land in the DLQ.
// - GCP: one Pub/Sub push delivery per request; a 2xx acknowledges, anything else is retried
//   and, after max_delivery_attempts, dead-lettered.
function processOrder(message) {
  console.log(JSON.stringify({ msg: "order received", id: message?.detail?.id ?? message?.id }));
}

export const handler = async (event, res) => {
  if (res && typeof res.status === "function") {
    try {
      const data = event.body?.message?.data;
      processOrder(JSON.parse(Buffer.from(data ?? "", "base64").toString("utf8")));
      res.status(204).send("");
    } catch (err) {
      res.status(500).send(String(err));
    }
    return;
  }
  const batchItemFailures = [];
  for (const record of event.Records ?? []) {
    try {
      processOrder(JSON.parse(record.body));
    } catch (err) {
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
};
