"""The part of the `azure-functions` library the Azure Functions Python worker gives a v2
programming-model app, as the local runner's stand-in provides it (PyPI is not reachable here):
FunctionApp with function_name, route, service_bus_queue_trigger, event_grid_trigger and
schedule decorators (registrations recorded for the host to index, as the worker does with
get_functions()), AuthLevel, HttpRequest, HttpResponse, ServiceBusMessage, EventGridEvent and
TimerRequest with the attributes handlers read."""
import enum
import json as _json

__all__ = ["AuthLevel", "HttpMethod", "FunctionApp", "HttpRequest", "HttpResponse", "ServiceBusMessage", "EventGridEvent", "TimerRequest"]


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
