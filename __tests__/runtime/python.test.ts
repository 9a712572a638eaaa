import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as fx from "./fixtures/events";

/** The standard-library Python module against the same documented fixtures (python3 -m unittest). */
const python = spawnSync("python3", ["--version"]).status === 0 ? "python3" : undefined;
(python ? test : test.skip)("polycloud_runtime (Python): same handler input, cloud-correct responses", () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pyfx-")), "fixtures.json");
  fs.writeFileSync(file, JSON.stringify({ http: fx.http, queue: fx.queue, events: fx.events }));
  const dir = path.resolve(__dirname, "../../modules/runtime/python");
  // -I: isolated mode, so only the standard library and the module under test are importable; -B: no .pyc files.
  const r = spawnSync(python!, ["-I", "-B", path.join(dir, "tests", "test_polycloud_runtime.py"), "-v"], { env: { ...process.env, POLYCLOUD_FIXTURES: file }, encoding: "utf8" });
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: expect.stringMatching(/Ran 11 tests[\s\S]*\nOK\n?$/) });
  for (const t of ["test_azure_handler_gets_the_clients_token_never_the_gateways", "test_http_same_request_cloud_correct_response", "test_queue_per_message_failure", "test_queue_takes_a_rule_event_as_one_message", "test_events_same_cloudevent", "test_azure_event_grid_cloudevent_binding", "test_events_without_id_are_refused", "test_a_removed_key_stops_verifying_after_the_ttl", "test_unknown_kids_fetch_once_per_cooldown", "test_a_failed_fetch_is_not_retried_within_the_cooldown", "test_timeout_size_limit_and_https_only"]) expect(r.stderr).toMatch(new RegExp(`${t} \\(.*\\) \\.\\.\\. ok`));
});
