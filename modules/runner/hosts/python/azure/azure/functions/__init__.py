"""The part of the `azure-functions` library the Azure Functions Python worker gives a v2
programming-model app, as the local runner's stand-in provides it (PyPI is not reachable here):
FunctionApp with function_name, route, service_bus_queue_trigger, event_grid_trigger and
schedule decorators (registrations recorded for the host to index, as the worker does with
get_functions()), AuthLevel, HttpRequest, HttpResponse, ServiceBusMessage, EventGridEvent,
CloudEvent (from 1.25.0b4 only) and TimerRequest with the attributes handlers read.

Which library the app gets is the worker's rule: its own copy (older than 1.25: no CloudEvent,
an Event Grid trigger decodes the Event Grid schema only), unless the app isolates its
dependencies (PYTHON_ISOLATE_WORKER_DEPENDENCIES=1; always on Python 3.13 and later) and its
package carries azure-functions in .python_packages/lib/site-packages: then the version packaged
(its dist-info, as pip installed it)."""
import datetime as _datetime
import enum
import importlib.metadata as _metadata
import json as _json
import os as _os
import re as _re
import sys as _sys

__all__ = ["AuthLevel", "HttpMethod", "FunctionApp", "HttpRequest", "HttpResponse", "ServiceBusMessage", "EventGridEvent", "TimerRequest"]

# The azure-functions the Python worker brings for the app (Azure/azure-functions-python-worker
# issue 1642, 2026-02-27: CloudEvent needs the app's own azure-functions>=1.25.0b4 and, on
# Python <= 3.12, PYTHON_ISOLATE_WORKER_DEPENDENCIES=1).
WORKER_VERSION = "1.24.0"
CLOUD_EVENT_SINCE = "1.25.0b4"


def _version_key(text):
    """A PEP 440 version as a sortable key: release, then pre-release (a < b < rc < final)."""
    m = _re.match(r"^\s*v?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d*))?", str(text).lower())
    if not m:
        return ((0,), (-1, 0))
    release = tuple(int(x) for x in m.group(1).split("."))
    release = release + (0,) * (6 - len(release))
    pre = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2, "pre": 2, "preview": 2}.get(m.group(2) or "", 3)
    return (release, (pre, int(m.group(3) or 0)))


def _app_version(env=None):
    env = _os.environ if env is None else env
    runtime = _version_key(env.get("FUNCTIONS_WORKER_RUNTIME_VERSION", "3.12"))
    isolated = env.get("PYTHON_ISOLATE_WORKER_DEPENDENCIES", "").strip().lower() in ("1", "true") or runtime >= _version_key("3.13")
    # The worker's search order when it isolates: .python_packages/lib/site-packages, then its own
    # libraries, then the app's folder (utils/dependency.py, prioritize_customer_dependencies): an
    # azure-functions installed in the folder itself still loses to the worker's.
    deps = [p for p in _sys.path if p.replace("\\", "/").rstrip("/").endswith(".python_packages/lib/site-packages")]
    if not isolated or not deps:
        return WORKER_VERSION
    found = [d.version for d in _metadata.distributions(path=deps) if _re.sub(r"[-_.]+", "-", d.metadata["Name"] or "").lower() == "azure-functions"]
    return found[0] if found else WORKER_VERSION


__version__ = _app_version()


class AuthLevel(str, enum.Enum):
    FUNCTION = "function"
    ANONYMOUS = "anonymous"
    ADMIN = "admin"


class HttpMethod(str, enum.Enum):
    GET = "GET"
    POST = "POST"
    PUT = "PUT"
    PATCH = "PATCH"
    DELETE = "DELETE"
    HEAD = "HEAD"
    OPTIONS = "OPTIONS"


class HttpRequest:
    def __init__(self, method, url, headers=None, params=None, route_params=None, body=b""):
        self.method = method.upper()
        self.url = url
        self.headers = {str(k).lower(): v for k, v in (headers or {}).items()}
        self.params = dict(params or {})
        self.route_params = dict(route_params or {})
        self._body = body or b""

    def get_body(self):
        return self._body

    def get_json(self):
        return _json.loads(self._body.decode("utf-8"))


class HttpResponse:
    def __init__(self, body=None, status_code=200, headers=None, mimetype=None, charset="utf-8"):
        self._body = body.encode(charset or "utf-8") if isinstance(body, str) else (body or b"")
        self.status_code = int(status_code)
        self.headers = dict(headers or {})
        if mimetype:
            self.headers.setdefault("Content-Type", f"{mimetype}; charset={charset}" if charset and mimetype.startswith("text") else mimetype)
        self.mimetype = mimetype
        self.charset = charset

    def get_body(self):
        return self._body


class ServiceBusMessage:
    def __init__(self, body, message_id, delivery_count=1, application_properties=None, content_type=None, correlation_id=None,
                 enqueued_time_utc=None, expires_at_utc=None, sequence_number=None, lock_token=None, subject=None, label=None):
        self._body = body
        self.message_id = message_id
        self.delivery_count = delivery_count
        self.application_properties = dict(application_properties or {})
        self.user_properties = self.application_properties
        self.content_type = content_type
        self.correlation_id = correlation_id
        self.enqueued_time_utc = enqueued_time_utc
        self.expires_at_utc = expires_at_utc
        self.sequence_number = sequence_number
        self.lock_token = lock_token
        self.subject = subject
        self.label = label or subject

    def get_body(self):
        return self._body


class EventGridEvent:
    def __init__(self, id, data, topic, subject, event_type, event_time, data_version):
        self.id = id
        self._data = data
        self.topic = topic
        self.subject = subject
        self.event_type = event_type
        self.event_time = event_time
        self.data_version = data_version

    def get_json(self):
        return self._data


class CloudEvent:
    """azure-functions 1.25.0b4's CloudEvent (Azure/azure-functions-python-library#314): the
    CloudEvents 1.0 attributes, time parsed, get_json() the data, other attributes as extensions."""

    _CORE = ("specversion", "type", "source", "id", "time", "subject", "datacontenttype", "dataschema", "data", "data_base64")

    def __init__(self, id, source, type, specversion, data=None, time=None, subject=None, datacontenttype=None, dataschema=None, extension_attrs=None):
        self.id, self.source, self.type, self.specversion = id, source, type, specversion
        self._data, self.time, self.subject = data, time, subject
        self.datacontenttype, self.dataschema = datacontenttype, dataschema
        self.extension_attrs = dict(extension_attrs or {})

    def get_json(self):
        return self._data


def _parse_time(text):
    if not text:
        return None
    try:
        return _datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None


def decode_event_grid(body):
    """The Event Grid trigger's decoder (azure.functions.eventgrid.EventGridEventInConverter): from
    1.25.0b4 an event with `specversion` becomes a CloudEvent whatever the parameter's annotation;
    before, every event is read as the Event Grid schema (a CloudEvent has no eventType there)."""
    if "specversion" in body and _version_key(__version__) >= _version_key(CLOUD_EVENT_SINCE):
        return CloudEvent(body.get("id"), body.get("source"), body.get("type"), body.get("specversion"), body.get("data"), _parse_time(body.get("time")),
                          body.get("subject"), body.get("datacontenttype"), body.get("dataschema"),
                          {k: v for k, v in body.items() if k not in CloudEvent._CORE})
    return EventGridEvent(body.get("id"), body.get("data"), body.get("topic"), body.get("subject"), body.get("eventType"), _parse_time(body.get("eventTime")), body.get("dataVersion"))


if _version_key(__version__) >= _version_key(CLOUD_EVENT_SINCE):
    __all__.append("CloudEvent")
else:
    del CloudEvent


class TimerRequest:
    past_due = False


class _Function:
    def __init__(self, fn):
        self.fn = fn
        self.name = fn.__name__
        self.bindings = []


class FunctionApp:
    def __init__(self, http_auth_level=AuthLevel.FUNCTION):
        self.http_auth_level = http_auth_level
        self._functions = []

    def _apply(self, change):
        def decorator(target):
            f = target if isinstance(target, _Function) else _Function(target)
            if f not in self._functions:
                self._functions.append(f)
            change(f)
            return f
        return decorator

    def function_name(self, name, **kwargs):
        return self._apply(lambda f: setattr(f, "name", name))

    def route(self, route=None, trigger_arg_name="req", binding_arg_name="$return", methods=None, auth_level=None, **kwargs):
        level = auth_level if auth_level is not None else self.http_auth_level
        return self._apply(lambda f: f.bindings.append({"type": "httpTrigger", "direction": "in", "name": trigger_arg_name, "route": route,
                                                        "methods": [str(getattr(m, "value", m)) for m in (methods or [])], "authLevel": str(getattr(level, "value", level))}))

    def service_bus_queue_trigger(self, arg_name, connection, queue_name, cardinality=None, **kwargs):
        return self._apply(lambda f: f.bindings.append({"type": "serviceBusTrigger", "direction": "in", "name": arg_name, "connection": connection,
                                                        "queueName": queue_name, "cardinality": cardinality or "one"}))

    def event_grid_trigger(self, arg_name, **kwargs):
        return self._apply(lambda f: f.bindings.append({"type": "eventGridTrigger", "direction": "in", "name": arg_name}))

    def schedule(self, schedule, arg_name, run_on_startup=False, use_monitor=None, **kwargs):
        return self._apply(lambda f: f.bindings.append({"type": "timerTrigger", "direction": "in", "name": arg_name, "schedule": schedule}))

    def get_functions(self):
        return list(self._functions)
