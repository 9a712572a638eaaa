import { matchesEventPattern } from "../../modules/aws/src/emulation/event-pattern";

/**
 * The runner's EventBridge pattern evaluator against the examples of the EventBridge user guide
 * ("Creating event patterns" and "Content filtering in Amazon EventBridge event patterns").
 */
const ec2 = {
  version: "0", id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718", "detail-type": "EC2 Instance State-change Notification", source: "aws.ec2",
  account: "111122223333", time: "2017-12-22T18:43:48Z", region: "us-west-1",
  resources: ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
  detail: { "instance-id": "i-1234567890abcdef0", state: "terminated" },
};

test.each([
  ["matches on source", { source: ["aws.ec2"] }, ec2, true],
  ["a value list is an OR", { detail: { state: ["running", "terminated"] } }, ec2, true],
  ["every field must match (AND)", { source: ["aws.ec2"], "detail-type": ["Other"] }, ec2, false],
  ["matching is case-sensitive", { source: ["AWS.EC2"] }, ec2, false],
  ["prefix", { time: [{ prefix: "2017-12-22" }] }, ec2, true],
  ["prefix, ignoring case", { detail: { state: [{ prefix: { "equals-ignore-case": "TERM" } }] } }, ec2, true],
  ["suffix", { FileName: [{ suffix: ".png" }] }, { FileName: "image.png" }, true],
  ["suffix, ignoring case", { FileName: [{ suffix: { "equals-ignore-case": ".PNG" } }] }, { FileName: "image.png" }, true],
  ["anything-but a string", { detail: { state: [{ "anything-but": "initializing" }] } }, ec2, true],
  ["anything-but the string it has", { detail: { state: [{ "anything-but": "terminated" }] } }, ec2, false],
  ["anything-but a list", { detail: { state: [{ "anything-but": ["stopped", "overloaded"] }] } }, ec2, true],
  ["anything-but a number", { detail: { "x-limit": [{ "anything-but": 123 }] } }, { detail: { "x-limit": 456 } }, true],
  ["anything-but a prefix", { detail: { state: [{ "anything-but": { prefix: "init" } }] } }, ec2, true],
  ["anything-but a prefix it has", { detail: { state: [{ "anything-but": { prefix: "term" } }] } }, ec2, false],
  ["anything-but a suffix", { detail: { FileName: [{ "anything-but": { suffix: ".txt" } }] } }, { detail: { FileName: "a.png" } }, true],
  ["anything-but ignoring case", { detail: { state: [{ "anything-but": { "equals-ignore-case": ["Stopped", "OverLoaded"] } }] } }, { detail: { state: "STOPPED" } }, false],
  ["anything-but a wildcard", { detail: { FilePath: [{ "anything-but": { wildcard: "*/dir/*" } }] } }, { detail: { FilePath: "/a/dir/b" } }, false],
  ["numeric ranges", { detail: { "c-count": [{ numeric: [">", 0, "<=", 5] }], "d-count": [{ numeric: ["<", 10] }], "x-limit": [{ numeric: ["=", 3.018e2] }] } }, { detail: { "c-count": 5, "d-count": 7, "x-limit": 301.8 } }, true],
  ["numeric out of range", { detail: { "c-count": [{ numeric: [">", 0, "<=", 5] }] } }, { detail: { "c-count": 6 } }, false],
  ["numeric needs a number", { detail: { "c-count": [{ numeric: [">", 0] }] } }, { detail: { "c-count": "7" } }, false],
  ["an IP address in a CIDR block", { detail: { "source-ip": [{ cidr: "10.0.0.0/24" }] } }, { detail: { "source-ip": "10.0.0.255" } }, true],
  ["an IP address outside it", { detail: { "source-ip": [{ cidr: "10.0.0.0/24" }] } }, { detail: { "source-ip": "10.0.1.0" } }, false],
  ["exists", { detail: { state: [{ exists: true }] } }, ec2, true],
  ["does not exist", { detail: { state: [{ exists: false }] } }, ec2, false],
  ["exists: false on a missing field", { detail: { reason: [{ exists: false }] } }, ec2, true],
  ["equals-ignore-case", { "detail-type": [{ "equals-ignore-case": "ec2 instance state-change notification" }] }, ec2, true],
  ["wildcard", { EventBusArn: [{ wildcard: "arn:aws:events:us-east-1:*:event-bus/*" }] }, { EventBusArn: "arn:aws:events:us-east-1:123456789012:event-bus/myEventBus" }, true],
  ["wildcard not matching", { EventBusArn: [{ wildcard: "arn:aws:events:us-east-1:*:event-bus/*" }] }, { EventBusArn: "arn:aws:events:us-west-2:123456789012:event-bus/myEventBus" }, false],
  ["$or of fields", { detail: { $or: [{ "c-count": [{ numeric: [">", 0, "<=", 5] }] }, { "d-count": [{ numeric: ["<", 10] }] }] } }, { detail: { "c-count": 9, "d-count": 3 } }, true],
  ["$or with none matching", { detail: { $or: [{ "c-count": [{ numeric: [">", 0, "<=", 5] }] }, { "d-count": [{ numeric: ["<", 10] }] }] } }, { detail: { "c-count": 9, "d-count": 30 } }, false],
  ["an array value matches when any element does", { resources: ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0", "arn:aws:ec2:us-east-1:111122223333:instance/x"] }, ec2, true],
  ["null", { detail: { responseElements: [null] } }, { detail: { responseElements: null } }, true],
  ["the empty string", { detail: { eventVersion: [""] } }, { detail: { eventVersion: "" } }, true],
  ["a missing field matches no literal", { detail: { eventVersion: [""] } }, { detail: {} }, false],
  ["the reference rule (source and detail-type)", { source: ["orders.api"], "detail-type": ["OrderCreated"] }, { source: "orders.api", "detail-type": "OrderCreated", detail: {} }, true],
  ["the coffee rule (prefix on detail-type)", { source: ["orders.api"], "detail-type": [{ prefix: "Order" }] }, { source: "orders.api", "detail-type": "OrderCreated", detail: {} }, true],
])("%s", (_name, pattern, event, expected) => {
  expect(matchesEventPattern(pattern, event)).toBe(expected);
});
