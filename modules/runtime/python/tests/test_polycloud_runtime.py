"""The Python handler shapes against the same documented fixtures as the TypeScript adapters
(written by __tests__/runtime/python.test.ts to POLYCLOUD_FIXTURES)."""
import json
import logging
import os
import sys
import unittest
from urllib.parse import urlsplit, parse_qsl

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import polycloud_runtime as rt  # noqa: E402

FX = json.load(open(os.environ["POLYCLOUD_FIXTURES"]))
logging.disable(logging.CRITICAL)  # failures are expected and logged by the module


class FlaskRequest:
    """The attributes a Functions Framework (Flask) request offers."""

    def __init__(self, method, path, headers, body):
        parts = urlsplit(path)
        self.method, self.path, self.headers = method, parts.path, headers
        self.args = dict(parse_qsl(parts.query))
        self.query_string = parts.query.encode()
        self.environ = {"RAW_URI": path}
        self._body = body

    def get_data(self, as_text=False):
        return self._body if as_text else self._body.encode()

    def get_json(self, silent=False):
        try:
            return json.loads(self._body)
        except ValueError:
            return None


class ServiceBusMessage:
    def __init__(self, body, meta):
        self._body = json.dumps(body).encode()
        self.message_id = meta["messageId"]
        self.delivery_count = meta["deliveryCount"]
        self.application_properties = meta["applicationProperties"]

    def get_body(self):
        return self._body


class AzureHttpRequest:
    """The attributes an Azure Functions HttpRequest offers (route "{*path}" below /api)."""

    def __init__(self, method, path, headers, body=""):
        self.method, self.url, self.headers = method, f"https://app.azurewebsites.net/api{path}", headers
        self.route_params = {"path": urlsplit(path).path.lstrip("/")}
        self._body = body

    def get_body(self):
        return self._body.encode()


class Test(unittest.TestCase):
    def test_azure_handler_gets_the_clients_token_never_the_gateways(self):
        # Behind API Management: authorization is the gateway's managed-identity token (Easy Auth
        # set x-ms-client-principal-id), the client's is x-forwarded-authorization.
        behind = rt.azure_request(AzureHttpRequest("GET", "/cart?x=1", {"Authorization": "Bearer gateway", "X-Forwarded-Authorization": "Bearer client", "x-ms-client-principal-id": "apim"}))
        self.assertEqual((behind.path, behind.query, behind.headers.get("authorization"), behind.headers.get("x-forwarded-authorization")), ("/cart", {"x": "1"}, "Bearer client", None))
        no_client_token = rt.azure_request(AzureHttpRequest("GET", "/cart", {"Authorization": "Bearer gateway", "x-ms-client-principal-id": "apim"}))
        self.assertIsNone(no_client_token.headers.get("authorization"))

    def test_http_same_request_cloud_correct_response(self):
        seen = []

        @rt.http
        def handler(req):
            seen.append(req)
            return rt.Response(201, {"accepted": True}, {"X-Order": "o-1"})

        aws = handler(FX["http"]["aws"]["event"])
        g = FX["http"]["gcp"]["request"]
        gcp = handler(FlaskRequest(g["method"], g["path"], g["headers"], g["body"]))
        exp = FX["http"]["expected"]
        for r in seen:
            self.assertEqual((r.method, r.path, r.query, r.body), (exp["method"], exp["path"], exp["query"], exp["body"]))
            self.assertEqual({k: v for k, v in r.headers.items() if k in exp["headers"]}, exp["headers"])
        self.assertEqual(aws, {"statusCode": 201, "headers": {"x-order": "o-1", "content-type": "application/json"}, "body": '{"accepted":true}', "isBase64Encoded": False})
        self.assertEqual(gcp, ('{"accepted":true}', 201, {"x-order": "o-1", "content-type": "application/json"}))

    def test_queue_per_message_failure(self):
        seen = []

        @rt.queue
        def handler(m):
            seen.append((m.id, m.body, m.attributes, m.delivery_count))
            if isinstance(m.body, dict) and m.body.get("fail"):
                raise RuntimeError("poison")

        self.assertEqual(handler(FX["queue"]["aws"]["event"]), {"batchItemFailures": [{"itemIdentifier": "m-2"}]})
        statuses = [handler(FlaskRequest("POST", "/", {}, json.dumps(e)))[1] for e in FX["queue"]["gcp"]["envelopes"]]
        self.assertEqual(statuses, [204, 500])
        self.assertEqual(handler(FlaskRequest("POST", "/", {}, "{}"))[1], 400)
        ok, bad = FX["queue"]["azure"]["deliveries"]
        self.assertIsNone(handler(ServiceBusMessage(ok["message"], ok["triggerMetadata"])))
        with self.assertRaises(RuntimeError):
            handler(ServiceBusMessage(bad["message"], bad["triggerMetadata"]))
        exp = [(e["id"], e["body"], e["attributes"], e["deliveryCount"]) for e in FX["queue"]["expected"]]
        self.assertEqual(seen, exp * 3)

    def test_queue_takes_a_rule_event_as_one_message(self):
        # Issue 24.2: a bus rule that targets a queue() function itself (AWS: an EventBridge event
        # from Lambda's asynchronous invocation; Azure: an Event Grid trigger). One message; an
        # exception is raised for the rule's retries and dead letters, never swallowed.
        seen = []

        @rt.queue
        def handler(m):
            seen.append((m.id, m.cloud, m.event.type, m.event.subject))
            if m.event.data.get("fail"):
                raise RuntimeError("spoiled")

        eb = {**FX["events"]["aws"]["event"], "resources": ["o-1", "polycloud:event-id/evt-7"]}
        self.assertIsNone(handler(eb))

        class EventGridEvent:
            def __init__(self, data):
                self.id, self.topic, self.subject, self.event_type, self.event_time, self.data_version, self._data = "eg-1", "t", "o-2", "OrderCreated", None, "1", data

            def get_json(self):
                return self._data

        self.assertIsNone(handler(EventGridEvent({"ok": True})))
        with self.assertRaises(RuntimeError):
            handler(EventGridEvent({"fail": True}))
        with self.assertRaises(RuntimeError):
            handler({**eb, "detail": {"fail": True}})
        self.assertEqual(seen[:2], [("evt-7", "aws", FX["events"]["aws"]["event"]["detail-type"], "o-1"), ("eg-1", "azure", "OrderCreated", "o-2")])

    def test_events_same_cloudevent(self):
        seen = []

        @rt.events
        def handler(e):
            seen.append(e)

        handler(FX["events"]["aws"]["event"])
        self.assertEqual(handler(FlaskRequest("POST", "/", {}, json.dumps(FX["events"]["gcp"]["envelope"])))[1], 204)
        handler(FX["events"]["azure"]["event"])
        exp = FX["events"]["expected"]
        for e in seen:
            self.assertEqual((e.specversion, e.id, e.source, e.type, e.time, e.subject, e.data), (exp["specversion"], exp["id"], exp["source"], exp["type"], exp["time"], exp["subject"], exp["data"]))
        self.assertEqual(len(seen), 3)

    def test_azure_event_grid_cloudevent_binding(self):
        # The platform's Event Grid topics deliver CloudEvents 1.0. azure-functions >= 1.25.0b4
        # decodes them into func.CloudEvent (id, source, type, specversion, subject, time as a
        # datetime, get_json() the data): events() and a rule-targeted queue() take it. An older
        # library reads the Event Grid schema only: an EventGridEvent without a type, refused
        # with the fix in the message.
        import datetime

        exp = FX["events"]["expected"]

        class CloudEvent:  # azure.functions.CloudEvent's attributes (Azure/azure-functions-python-library#314)
            def __init__(self, data):
                self.id, self.source, self.type, self.specversion, self.subject = exp["id"], exp["source"], exp["type"], "1.0", exp["subject"]
                self.time = datetime.datetime.fromisoformat(exp["time"].replace("Z", "+00:00"))
                self.datacontenttype, self.dataschema, self.extension_attrs, self._data = "application/json", None, {}, data

            def get_json(self):
                return self._data

        class EventGridEvent:  # what azure-functions < 1.25 makes of the same CloudEvent
            def __init__(self, body):
                self.id, self.topic, self.subject, self.event_type, self.event_time, self.data_version = body.get("id"), body.get("topic"), body.get("subject"), body.get("eventType"), body.get("eventTime"), body.get("dataVersion")
                self._data = body.get("data")

            def get_json(self):
                return self._data

        seen = []
        on_event = rt.events(seen.append)
        self.assertIsNone(on_event(CloudEvent(exp["data"])))
        e = seen[0]
        self.assertEqual((e.specversion, e.id, e.source, e.type, e.time, e.subject, e.data), (exp["specversion"], exp["id"], exp["source"], exp["type"], exp["time"], exp["subject"], exp["data"]))

        @rt.queue
        def on_message(m):
            seen.append(m)
            if m.event.data.get("fail"):
                raise RuntimeError("spoiled")

        self.assertIsNone(on_message(CloudEvent({"ok": True})))
        m = seen[1]
        self.assertEqual((m.id, m.cloud, m.event.type, m.event.subject, m.body["type"], m.body["data"]), (exp["id"], "azure", exp["type"], exp["subject"], exp["type"], {"ok": True}))
        with self.assertRaises(RuntimeError):
            on_message(CloudEvent({"fail": True}))

        old = EventGridEvent(FX["events"]["azure"]["event"])
        for handler in (on_event, on_message):
            with self.assertRaisesRegex(ValueError, r"has no type: it was delivered in the CloudEvents schema.*azure-functions>=1\.25\.0b4"):
                handler(old)
        self.assertEqual(len(seen), 3)

    def test_events_without_id_are_refused(self):
        seen = []

        @rt.events
        def handler(e):
            seen.append(e)

        no_id = {k: v for k, v in FX["events"]["azure"]["event"].items() if k != "id"}
        with self.assertRaises(rt.EventIdError):
            handler(no_id)
        eb = {k: v for k, v in FX["events"]["aws"]["event"].items() if k != "id"}
        with self.assertRaises(rt.EventIdError):
            handler(eb)
        # EventBridge's own id is replaced by the publisher's, carried as a resource.
        handler({**FX["events"]["aws"]["event"], "id": "eventbridge-own", "resources": ["o-1", "polycloud:event-id/evt-7"]})
        self.assertEqual((seen[0].id, seen[0].subject), ("evt-7", "o-1"))

        @rt.queue
        def q(m):
            seen.append(m)

        out = q({"Records": [{"messageId": "m-1", "body": json.dumps(no_id)}]})
        self.assertEqual(out, {"batchItemFailures": [{"itemIdentifier": "m-1"}]})


class TestJwks(unittest.TestCase):
    """Issue 33.4 in the Python twin: keys expire, unknown kids are rate-limited, fetches time out."""

    def setUp(self):
        from polycloud_runtime.tokens import JwksCache, TokenError
        self.JwksCache, self.TokenError = JwksCache, TokenError
        self.clock = [1000.0]
        self.keys = [{"kid": "k1", "kty": "RSA"}]
        self.calls = 0

        def fetch(uri, timeout, max_bytes):
            self.calls += 1
            return {"keys": list(self.keys)}

        self.cache = JwksCache(now=lambda: self.clock[0], fetch_json=fetch)

    def test_a_removed_key_stops_verifying_after_the_ttl(self):
        self.assertEqual(self.cache.key("https://i/jwks", "k1")["kid"], "k1")
        self.keys = []
        self.clock[0] += 599
        self.assertEqual(self.cache.key("https://i/jwks", "k1")["kid"], "k1")
        self.clock[0] += 2
        with self.assertRaises(self.TokenError):
            self.cache.key("https://i/jwks", "k1")
        self.assertEqual(self.calls, 2)

    def test_unknown_kids_fetch_once_per_cooldown(self):
        self.cache.key("https://i/jwks", "k1")
        for i in range(50):
            with self.assertRaises(self.TokenError):
                self.cache.key("https://i/jwks", f"made-up-{i}")
        self.assertEqual(self.calls, 1)
        self.clock[0] += 30
        self.keys.append({"kid": "k2", "kty": "RSA"})
        self.assertEqual(self.cache.key("https://i/jwks", "k2")["kid"], "k2")
        self.assertEqual(self.calls, 2)

    def test_a_failed_fetch_is_not_retried_within_the_cooldown(self):
        def failing(uri, timeout, max_bytes):
            self.calls += 1
            raise self.TokenError("down")

        cache = self.JwksCache(now=lambda: self.clock[0], fetch_json=failing)
        for _ in range(5):
            with self.assertRaises(self.TokenError):
                cache.key("https://i/jwks", "k1")
        self.assertEqual(self.calls, 1)

    def test_timeout_size_limit_and_https_only(self):
        import socket
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # accepts, never answers
        cache = self.JwksCache(timeout=0.3)
        with self.assertRaisesRegex(self.TokenError, "timed out"):
            cache.key(f"http://127.0.0.1:{silent.getsockname()[1]}/jwks", "k1")
        silent.close()

        class Huge(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                body = json.dumps({"keys": [], "pad": "x" * (300 * 1024)}).encode()
                self.send_response(200)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Huge)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with self.assertRaisesRegex(self.TokenError, "larger than 262144 bytes"):
                self.JwksCache().key(f"http://127.0.0.1:{server.server_address[1]}/jwks", "k1")
        finally:
            server.shutdown()
            server.server_close()
        with self.assertRaisesRegex(self.TokenError, "not https"):
            self.JwksCache().key("http://auth.example.com/jwks", "k1")


if __name__ == "__main__":
    unittest.main()
