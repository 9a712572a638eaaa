// Reference queue consumer. Reports partial batch failures so only failed messages are retried
// and, after maxDeliveryAttempts, land in the DLQ.
export const handler = async (event) => {
  const batchItemFailures = [];
  for (const record of event.Records ?? []) {
    try {
      const message = JSON.parse(record.body);
      console.log(JSON.stringify({ msg: "order received", id: message?.detail?.id }));
    } catch (err) {
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
};
