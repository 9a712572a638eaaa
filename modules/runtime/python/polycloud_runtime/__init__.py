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
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional
from urllib.parse import parse_qsl, urlsplit

from .edge import check_request, edge_config
from .database import database_endpoint, libpq_params, ssl_context  # noqa: E402,F401 - public API

__all__ = ["Request", "Response", "Message", "CloudEvent", "Auth", "EventIdError", "http", "queue", "events", "parse_query", "database_endpoint", "ssl_context", "libpq_params"]
log = logging.getLogger("polycloud_runtime")

# EventBridge makes its own event id; the Node publisher carries its own as this resource.
EVENT_ID_RESOURCE = "polycloud:event-id/"


class EventIdError(ValueError):
    """An event without an id: refused, since all such events would share one idempotency key."""


@dataclass
class Auth:
    """The caller on an authorized route: the verified token's claims (`subject` is `sub`)."""
    claims: Dict[str, Any]
    subject: Optional[str] = None


@dataclass
class Request:
    method: str
    path: str
    query: Dict[str, str]
    headers: Dict[str, str]
    body: str
    cloud: str
    auth: Optional[Auth] = None

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def parse_query(raw: str) -> Dict[str, str]:
    """The same query on every cloud and in the Node runtime: decoded, a parameter without `=` is
    "", a repeated parameter's values joined with `,` in order (as API Gateway gives them)."""
    out: Dict[str, str] = {}
    for k, v in parse_qsl(raw, keep_blank_values=True):
        out[k] = f"{out[k]},{v}" if k in out else v
    return out


def _auth_of(claims: Any) -> Optional[Auth]:
    if not isinstance(claims, dict):
        return None
    return Auth(claims, claims["sub"] if isinstance(claims.get("sub"), str) else None)


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


def _event_id(v: Any, what: str) -> str:
    if isinstance(v, str) and v:
        return v
    raise EventIdError(f"polycloud_runtime: {what} has no id; refused (events without an id would share one idempotency key)")


def _event_from(v: Any) -> Optional[CloudEvent]:
    if not isinstance(v, dict):
        return None
    if v.get("specversion") == "1.0" and isinstance(v.get("type"), str) and isinstance(v.get("source"), str):
        return CloudEvent(_event_id(v.get("id"), "CloudEvent"), v["source"], v["type"], v.get("data"), v.get("time"), v.get("subject"))
    if isinstance(v.get("detail-type"), str) and isinstance(v.get("source"), str) and "detail" in v:
        res = v.get("resources") if isinstance(v.get("resources"), list) else []
        carried = next((r for r in res if isinstance(r, str) and r.startswith(EVENT_ID_RESOURCE)), None)
        subject = next((r for r in res if not (isinstance(r, str) and r.startswith(EVENT_ID_RESOURCE))), None)
        eid = carried[len(EVENT_ID_RESOURCE):] if carried else v.get("id")
        return CloudEvent(_event_id(eid, "EventBridge event"), v["source"], v["detail-type"], v["detail"], v.get("time"), None if subject is None else str(subject))
    if isinstance(v.get("eventType"), str) and isinstance(v.get("dataVersion"), str):
        return CloudEvent(_event_id(v.get("id"), "Event Grid event"), str(v.get("topic", "")), v["eventType"], v.get("data"), v.get("eventTime"), v.get("subject"))
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
        event = CloudEvent(attrs.get("id") or mid, attrs["source"], attrs["type"], body, m.get("publishTime") or m.get("publish_time"), attrs.get("subject"))
    else:
        event = _event_from(body)
    attempt = envelope.get("deliveryAttempt")
    return Message(mid, body, text, attrs, "gcp", int(attempt) if attempt is not None else None, event)


def _lower(headers: Any) -> Dict[str, str]:
    out: Dict[str, str] = {}
    for k, v in headers.items():
        k = k.lower()
        out[k] = f"{out[k]},{v}" if k in out else v
    return out


def flask_request(event: Any) -> Request:
    """A Functions Framework (Flask) request as the handler sees it: on Cloud Run `authorization`
    is the platform's (the invoker's Google ID token, API Gateway's behind it); the client's header
    arrives as `x-forwarded-authorization` and becomes `authorization`. Never a platform token."""
    headers = _lower(event.headers)
    # The path as sent (Flask's is percent-decoded; Express's, in the Node runtime, is not).
    environ = getattr(event, "environ", None) or {}
    raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    path = urlsplit(raw_uri).path if raw_uri else event.path
    forwarded = headers.pop("x-forwarded-authorization", None)
    headers.pop("authorization", None)
    if forwarded:
        headers["authorization"] = forwarded
    raw = event.query_string.decode("latin-1") if isinstance(event.query_string, bytes) else str(event.query_string or "")
    return Request(event.method.upper(), path or "/", parse_query(raw), headers, event.get_data(as_text=True) or "", "gcp")


def azure_request(event: Any) -> Request:
    """An Azure Functions HttpRequest, registered with route "{*path}" below the /api prefix."""
    raw = event.get_body() or b""
    below = (getattr(event, "route_params", None) or {}).get("path")
    parts = urlsplit(event.url)
    path = f"/{below}" if isinstance(below, str) else (parts.path or "/")
    headers = _lower(event.headers)
    # Behind API Management the app admits only the gateway's managed identity (App Service
    # authentication sets x-ms-client-principal-id), so `authorization` is the gateway's token; the
    # client's arrives as `x-forwarded-authorization`. The handler gets the client's, or none (as
    # the Node runtime's azureHttpRequest does).
    forwarded = headers.pop("x-forwarded-authorization", None)
    if forwarded:
        headers["authorization"] = forwarded
    elif "x-ms-client-principal-id" in headers:
        headers.pop("authorization", None)
    return Request(event.method.upper(), path, parse_query(parts.query), headers, raw.decode("utf-8"), "azure")


def aws_request(event: Dict[str, Any]) -> Request:
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode("utf-8")
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    if event.get("cookies") and "cookie" not in headers:
        headers["cookie"] = "; ".join(event["cookies"])
    ctx = event.get("requestContext") or {}
    method = (ctx.get("http") or {}).get("method") or str(event.get("routeKey", "GET")).split(" ")[0]
    query = parse_query(event["rawQueryString"]) if isinstance(event.get("rawQueryString"), str) else dict(event.get("queryStringParameters") or {})
    # The JWT authorizer's claims: API Gateway verified the token.
    claims = ((ctx.get("authorizer") or {}).get("jwt") or {}).get("claims")
    return Request(method.upper(), event.get("rawPath", "/"), query, headers, raw, "aws", _auth_of(claims))


def _failure() -> Response:
    log.exception("handler failed")
    return Response(500, {"error": "internal error"})


def run_http(handler: Callable[[Request], Response], req: Request, env=None) -> Response:
    """The handler behind the checks its gateway left to the function (edge.py), when the gateway
    construct put its routes in the environment; the CORS headers go on whatever it answers."""
    try:
        config = edge_config(os.environ if env is None else env)
    except Exception:  # noqa: BLE001
        return _failure()
    outcome = None
    if config is not None:
        outcome = check_request(req.method, req.path, req.headers, config)
        if outcome.response is not None:
            status, headers, body = outcome.response
            return Response(status, body if body != "" else None, headers)
        req.auth = _auth_of(outcome.claims)
    try:
        out = handler(req)
    except Exception:  # noqa: BLE001 - every failure becomes a 500 without details
        out = _failure()
    if outcome is not None and outcome.headers:
        out.headers = {**outcome.headers, **{k.lower(): v for k, v in out.headers.items()}}
    return out


def http(handler: Callable[[Request], Response]):
    """One request/response handler for API Gateway v2, Flask (Functions Framework) and Azure HttpRequest."""

    def entry(event: Any, context: Any = None):
        if _is_flask(event):
            out = run_http(handler, flask_request(event))
            text, headers = out.encoded()
            return text, out.status, headers
        if _is_azure_http(event):
            out = run_http(handler, azure_request(event))
            text, headers = out.encoded()
            import azure.functions as func  # provided by the Azure Functions Python worker

            return func.HttpResponse(text, status_code=out.status, headers=headers)
        out = run_http(handler, aws_request(event))
        text, headers = out.encoded()
        return {"statusCode": out.status, "headers": headers, "body": text, "isBase64Encoded": False}

    entry.polycloud_kind = "http"
    entry.polycloud_handler = handler
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
        # A bus rule that targets this function itself (issue 24.2): one event, and an exception is
        # left to the rule's retries and dead letters (an Event Grid trigger on Azure, an EventBridge
        # event from Lambda's asynchronous invocation on AWS).
        ev = _rule_event(event)
        if ev is not None:
            raw = event if isinstance(event, dict) else {"id": ev.id, "source": ev.source, "type": ev.type, "subject": ev.subject, "data": ev.data}
            handler(Message(str(ev.id), raw, json.dumps(raw, default=str), {}, "azure" if not isinstance(event, dict) else "aws", None, ev))
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


def _iso(value: Any) -> Optional[str]:
    """An event time as text: azure-functions parses it into a datetime (RFC 3339 back, UTC as Z,
    as the other clouds deliver it); a string stays as it is."""
    if value is None or value == "":
        return None
    if not hasattr(value, "isoformat"):
        return str(value)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


_NO_TYPE = ("polycloud_runtime: the Event Grid event has no type: it was delivered in the CloudEvents schema, "
            "which azure-functions before 1.25 cannot decode (pin azure-functions>=1.25.0b4 in requirements.txt; "
            "the trigger then binds func.CloudEvent)")


def _rule_event(event: Any) -> Optional[CloudEvent]:
    """An Event Grid trigger's event (azure.functions CloudEvent or EventGridEvent) or an
    EventBridge event (a dict with detail-type and no Records); None for anything else."""
    if hasattr(event, "specversion") and hasattr(event, "source") and not isinstance(event, dict):
        # azure.functions.CloudEvent (azure-functions >= 1.25.0b4): id, source, type, subject,
        # time (a datetime), get_json() the data.
        data = event.get_json() if hasattr(event, "get_json") else getattr(event, "data", None)
        return CloudEvent(_event_id(getattr(event, "id", None), "CloudEvent"), str(event.source), str(event.type), data,
                          _iso(getattr(event, "time", None)), getattr(event, "subject", None))
    if hasattr(event, "event_type") and hasattr(event, "get_json"):
        # azure.functions.EventGridEvent: its decoder reads the Event Grid schema only; an event
        # delivered in the CloudEvents schema (the platform's topics) has no event_type there.
        if not event.event_type:
            raise ValueError(_NO_TYPE)
        return CloudEvent(_event_id(event.id, "Event Grid event"), str(getattr(event, "topic", "") or ""), event.event_type, event.get_json(),
                          _iso(getattr(event, "event_time", None)), getattr(event, "subject", None))
    if isinstance(event, dict) and "Records" not in event and isinstance(event.get("detail-type"), str):
        return _event_from(event)
    return None


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
        if not isinstance(event, dict):
            # An Event Grid trigger on Azure: azure.functions.CloudEvent or EventGridEvent.
            ev = _rule_event(event)
            if ev is not None:
                handler(ev)
                return None
        ev = _event_from(event)
        if ev is None:
            raise ValueError("not an EventBridge, CloudEvents or Event Grid event")
        handler(ev)
        return None

    entry.polycloud_kind = "events"
    return entry
