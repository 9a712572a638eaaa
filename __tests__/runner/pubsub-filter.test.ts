import { matchesPubSubFilter, parsePubSubFilter } from "../../modules/gcp/src/emulation/pubsub-filter";

/** The runner's Pub/Sub filter evaluator against the examples of "Filter messages from a subscription". */
test.each([
  ["attributes:domain", { domain: "com" }, true],
  ["attributes:domain", {}, false],
  ["NOT attributes:domain", {}, true],
  ["attributes.domain = \"com\"", { domain: "com" }, true],
  ["attributes.domain = \"com\"", { domain: "net" }, false],
  ["attributes.domain != \"com\"", { domain: "net" }, true],
  ["attributes.domain != \"com\"", {}, true],
  ["attributes.domain != \"com\"", { domain: "com" }, false],
  ["hasPrefix(attributes.domain, \"co\")", { domain: "com" }, true],
  ["hasPrefix(attributes.domain, \"co\")", { domain: "net" }, false],
  ["hasPrefix(attributes.domain, \"co\")", {}, false],
  ["attributes:domain AND attributes.domain = \"com\"", { domain: "com" }, true],
  ["(attributes:domain AND attributes.domain = \"com\") OR (attributes:domain AND attributes.domain = \"net\")", { domain: "net" }, true],
  ["(attributes:domain AND attributes.domain = \"com\") OR (attributes:domain AND attributes.domain = \"net\")", { domain: "org" }, false],
  ["NOT (attributes.domain = \"com\" OR attributes.domain = \"net\")", { domain: "org" }, true],
  ["-attributes:domain", {}, true],
  ["attributes.\"domain.name\" = \"com\"", { "domain.name": "com" }, true],
  ["attributes.my-key = \"v\"", { "my-key": "v" }, true],
  ["", { anything: "x" }, true],
  // The filters the GCP module writes for the reference and coffee rules.
  ["attributes.source = \"orders.api\" AND attributes.type = \"OrderCreated\"", { source: "orders.api", type: "OrderCreated", id: "1" }, true],
  ["attributes.source = \"orders.api\" AND hasPrefix(attributes.type, \"Order\")", { source: "orders.api", type: "OrderShipped" }, true],
  ["attributes.source = \"orders.api\" AND hasPrefix(attributes.type, \"Order\")", { source: "other", type: "OrderShipped" }, false],
])("%s on %j", (filter, attributes, expected) => {
  expect(matchesPubSubFilter(filter, attributes)).toBe(expected);
});

test("AND and OR need parentheses when combined; malformed filters are refused", () => {
  expect(() => parsePubSubFilter("attributes:a AND attributes:b OR attributes:c")).toThrow(/parentheses/);
  expect(() => parsePubSubFilter("attributes.a = ")).toThrow();
  expect(() => parsePubSubFilter("attributes.a = \"unterminated")).toThrow(/unterminated/);
});
