"""polycloud_runtime: the handler shapes of @polycloud/runtime for Python functions.

Standard library only. One handler runs on AWS Lambda (API Gateway v2, SQS, EventBridge), Google
Cloud Functions (Functions Framework / Flask request, Pub/Sub push) and Azure Functions (Python v2
HttpRequest, ServiceBusMessage, EventGridEvent or CloudEvents); the platform objects are
recognised by their shape, so nothing cloud-specific is imported except `azure.functions` for an
Azure HTTP response, which the Azure Python worker provides.

    from polycloud_runtime import http, queue, events, Response

    @http
    def handler(request):
        return Response(200, {"ok": True, "path": request.path})
"""
import base64
import json
import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional
from urllib.parse import parse_qsl, urlsplit

from .database import database_endpoint, libpq_params, ssl_context  # noqa: E402,F401 - public API

__all__ = ["Request", "Response", "Message", "CloudEvent", "http", "queue", "events", "database_endpoint", "ssl_context", "libpq_params"]
log = logging.getLogger("polycloud_runtime")


@dataclass
class Request:
    method: str
    path: str
    query: Dict[str, str]
    headers: Dict[str, str]
    body: str
    cloud: str

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Response:
    status: int
    body: Any = None
    headers: Dict[str, str] = field(default_factory=dict)

    def encoded(self):
        headers = {k.lower(): v for k, v in self.headers.items()}
        if self.body is None:
            return "", headers
        if isinstance(self.body, str):
            return self.body, headers
        headers.setdefault("content-type", "application/json")
        return json.dumps(self.body, separators=(",", ":")), headers


@dataclass
class CloudEvent:
    id: str
    source: str
    type: str
    data: Any
    time: Optional[str] = None
    subject: Optional[str] = None
    specversion: str = "1.0"


@dataclass
class Message:
    id: str
    body: Any
    text: str
    attributes: Dict[str, str]
    cloud: str
    delivery_count: Optional[int] = None
    event: Optional[CloudEvent] = None


def _maybe_json(text: str) -> Any:
    try:
        return json.loads(text) if text != "" else None
    except ValueError:
        return text


def _event_from(v: Any) -> Optional[CloudEvent]:
    if not isinstance(v, dict):
        return None
    if v.get("specversion") == "1.0" and isinstance(v.get("type"), str) and isinstance(v.get("source"), str):
        return CloudEvent(str(v.get("id")), v["source"], v["type"], v.get("data"), v.get("time"), v.get("subject"))
    if isinstance(v.get("detail-type"), str) and isinstance(v.get("source"), str) and "detail" in v:
        res = v.get("resources") or []
        return CloudEvent(str(v.get("id")), v["source"], v["detail-type"], v["detail"], v.get("time"), str(res[0]) if res else None)
    if isinstance(v.get("eventType"), str) and isinstance(v.get("dataVersion"), str):
        return CloudEvent(str(v.get("id")), str(v.get("topic", "")), v["eventType"], v.get("data"), v.get("eventTime"), v.get("subject"))
    return None


def _is_flask(req: Any) -> bool:
    return hasattr(req, "get_data") and hasattr(req, "args")


def _is_azure_http(req: Any) -> bool:
    return hasattr(req, "get_body") and hasattr(req, "params") and hasattr(req, "url")


def _push_message(envelope: Any) -> Message:
    m = (envelope or {}).get("message") if isinstance(envelope, dict) else None
    if not isinstance(m, dict) or (m.get("messageId") or m.get("message_id")) is None:
        raise ValueError("not a Pub/Sub push envelope (no message.messageId)")
    text = base64.b64decode(m["data"]).decode("utf-8") if "data" in m else ""
    body = _maybe_json(text)
    attrs = dict(m.get("attributes") or {})
    mid = str(m.get("messageId") or m.get("message_id"))
    event = None
    if attrs.get("type") and attrs.get("source"):
        event = CloudEvent(attrs.get("id", mid), attrs["source"], attrs["type"], body, m.get("publishTime") or m.get("publish_time"), attrs.get("subject"))
    else:
        event = _event_from(body)
    attempt = envelope.get("deliveryAttempt")
    return Message(mid, body, text, attrs, "gcp", int(attempt) if attempt is not None else None, event)


def http(handler: Callable[[Request], Response]):
    """One request/response handler for API Gateway v2, Flask (Functions Framework) and Azure HttpRequest."""

    def run(req: Request) -> Response:
        try:
            return handler(req)
        except Exception:  # noqa: BLE001 - every failure becomes a 500 without details
            log.exception("handler failed")
            return Response(500, {"error": "internal error"})

    def entry(event: Any, context: Any = None):
        if _is_flask(event):
            body = event.get_data(as_text=True) or ""
            out = run(Request(event.method.upper(), event.path, dict(event.args.items()), {k.lower(): v for k, v in event.headers.items()}, body, "gcp"))
            text, headers = out.encoded()
            return text, out.status, headers
        if _is_azure_http(event):
            raw = event.get_body() or b""
            out = run(Request(event.method.upper(), urlsplit(event.url).path or "/", dict(event.params), {k.lower(): v for k, v in event.headers.items()}, raw.decode("utf-8"), "azure"))
            text, headers = out.encoded()
            import azure.functions as func  # provided by the Azure Functions Python worker

            return func.HttpResponse(text, status_code=out.status, headers=headers)
        raw = event.get("body") or ""
        if event.get("isBase64Encoded"):
            raw = base64.b64decode(raw).decode("utf-8")
        headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
        if event.get("cookies") and "cookie" not in headers:
            headers["cookie"] = "; ".join(event["cookies"])
        method = ((event.get("requestContext") or {}).get("http") or {}).get("method") or str(event.get("routeKey", "GET")).split(" ")[0]
        out = run(Request(method.upper(), event.get("rawPath", "/"), dict(event.get("queryStringParameters") or {}), headers, raw, "aws"))
        text, headers = out.encoded()
        return {"statusCode": out.status, "headers": headers, "body": text, "isBase64Encoded": False}

    entry.polycloud_kind = "http"
    return entry


def queue(handler: Callable[[Message], None]):
    """One message handler; an exception fails that message only (SQS partial batch, Pub/Sub 500, Service Bus abandon)."""

    def entry(event: Any, context: Any = None):
        if _is_flask(event):
            try:
                msg = _push_message(event.get_json(silent=True))
            except ValueError as err:
                return str(err), 400
            try:
                handler(msg)
                return "", 204
            except Exception:  # noqa: BLE001
                log.exception("message %s failed", msg.id)
                return "", 500
        if hasattr(event, "get_body") and hasattr(event, "message_id"):
            text = event.get_body().decode("utf-8")
            body = _maybe_json(text)
            props = {k: str(v) for k, v in (getattr(event, "application_properties", None) or {}).items()}
            handler(Message(str(event.message_id), body, text, props, "azure", getattr(event, "delivery_count", None), _event_from(body)))
            return None
        failures: List[Dict[str, str]] = []
        for r in event.get("Records") or []:
            text = r.get("body") or ""
            body = _maybe_json(text)
            attrs = {k: v["stringValue"] for k, v in (r.get("messageAttributes") or {}).items() if "stringValue" in v}
            count = (r.get("attributes") or {}).get("ApproximateReceiveCount")
            try:
                handler(Message(str(r["messageId"]), body, text, attrs, "aws", int(count) if count else None, _event_from(body)))
            except Exception:  # noqa: BLE001
                log.exception("message %s failed", r.get("messageId"))
                failures.append({"itemIdentifier": str(r["messageId"])})
        return {"batchItemFailures": failures}

    entry.polycloud_kind = "queue"
    return entry


def events(handler: Callable[[CloudEvent], None]):
    """One CloudEvents-shaped event from EventBridge, Pub/Sub push and Event Grid."""

    def entry(event: Any, context: Any = None):
        if _is_flask(event):
            try:
                msg = _push_message(event.get_json(silent=True))
                if msg.event is None:
                    raise ValueError("Pub/Sub message carries no event")
            except ValueError as err:
                return str(err), 400
            try:
                handler(msg.event)
                return "", 204
            except Exception:  # noqa: BLE001
                log.exception("event %s failed", msg.event.id)
                return "", 500
        if hasattr(event, "event_type") and hasattr(event, "get_json"):
            handler(CloudEvent(str(event.id), str(getattr(event, "topic", "") or ""), event.event_type, event.get_json(), str(getattr(event, "event_time", "") or "") or None, getattr(event, "subject", None)))
            return None
        ev = _event_from(event)
        if ev is None:
            raise ValueError("not an EventBridge, CloudEvents or Event Grid event")
        handler(ev)
        return None

    entry.polycloud_kind = "events"
    return entry
