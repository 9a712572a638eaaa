import { matchesEventGridFilter } from "../../modules/azure/src/emulation/event-grid-filter";

/** The runner's Event Grid subscription filters against the examples of "Understand event filtering for Event Grid subscriptions". */
const blob = { specversion: "1.0", id: "1", source: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acc", type: "Microsoft.Storage.BlobCreated", subject: "/blobServices/default/containers/container1/blobs/photo.jpg", data: { color: "Red", value: 7, tags: ["a", "b"], ok: true, nothing: null } };

test.each([
  ["event types", { included_event_types: ["Microsoft.Storage.BlobCreated"] }, true],
  ["another event type", { included_event_types: ["Microsoft.Storage.BlobDeleted"] }, false],
  ["subject begins with", { subject_filter: { subject_begins_with: "/blobServices/default/containers/container1" } }, true],
  ["subject ends with", { subject_filter: { subject_ends_with: ".jpg" } }, true],
  ["subject ends with, case-sensitive", { subject_filter: { subject_ends_with: ".JPG", case_sensitive: true } }, false],
  ["subject ends with, ignoring case by default", { subject_filter: { subject_ends_with: ".JPG" } }, true],
  ["StringIn on data (values are ORed, case-insensitive)", { advanced_filter: { string_in: [{ key: "data.color", values: ["blue", "red", "green"] }] } }, true],
  ["StringNotIn", { advanced_filter: { string_not_in: [{ key: "data.color", values: ["red"] }] } }, false],
  ["NumberGreaterThan", { advanced_filter: { number_greater_than: [{ key: "data.value", value: 5 }] } }, true],
  ["NumberLessThan", { advanced_filter: { number_less_than: [{ key: "data.value", value: 5 }] } }, false],
  ["NumberInRange", { advanced_filter: { number_in_range: [{ key: "data.value", values: [[5, 10]] }] } }, true],
  ["BoolEquals", { advanced_filter: { bool_equals: [{ key: "data.ok", value: true }] } }, true],
  ["IsNullOrUndefined on null", { advanced_filter: { is_null_or_undefined: [{ key: "data.nothing" }] } }, true],
  ["IsNotNull on a missing key", { advanced_filter: { is_not_null: [{ key: "data.missing" }] } }, false],
  ["StringContains", { advanced_filter: { string_contains: [{ key: "subject", values: ["container1"] }] } }, true],
  ["an array value passes when any element does", { advanced_filter: { string_in: [{ key: "data.tags", values: ["b"] }] } }, true],
  ["filters are ANDed", { included_event_types: ["Microsoft.Storage.BlobCreated"], advanced_filter: { string_in: [{ key: "data.color", values: ["blue"] }] } }, false],
  ["a missing key fails a positive operator", { advanced_filter: { string_begins_with: [{ key: "data.missing", values: ["x"] }] } }, false],
])("%s", (_name, filter, expected) => {
  expect(matchesEventGridFilter(filter as any, blob)).toBe(expected);
});

test("the filters the Azure module writes for the reference and coffee rules", () => {
  const order = { specversion: "1.0", id: "e", source: "orders.api", type: "OrderCreated", data: {} };
  expect(matchesEventGridFilter({ included_event_types: ["OrderCreated"], advanced_filter: { string_in: [{ key: "source", values: ["orders.api"] }] } }, order)).toBe(true);
  expect(matchesEventGridFilter({ advanced_filter: { string_in: [{ key: "source", values: ["orders.api"] }], string_begins_with: [{ key: "type", values: ["Order"] }] } }, order)).toBe(true);
  const tick = { specversion: "1.0", id: "t", source: "polycloud.schedule", type: "Scheduled Event", data: { polycloud_schedule: "morning" } };
  expect(matchesEventGridFilter({ advanced_filter: { string_in: [{ key: "source", values: ["polycloud.schedule"] }, { key: "data.polycloud_schedule", values: ["morning"] }] } }, tick)).toBe(true);
  expect(matchesEventGridFilter({ advanced_filter: { string_in: [{ key: "source", values: ["polycloud.schedule"] }, { key: "data.polycloud_schedule", values: ["evening"] }] } }, tick)).toBe(false);
});
