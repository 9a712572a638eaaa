"""Entry points packaging writes for Python functions (see modules/runtime/src/python-entry.ts).

GCP: main.py binds the Functions Framework target with `gcp_entry(handler)`.
Azure: function_app.py builds the v2 programming model's `app` with `azure_app(func, name, handler)`.
"""
import os
import re
from typing import Any, Callable, Mapping, Optional

from . import Response, flask_request
from .edge import check_request, edge_config

__all__ = ["gcp_entry", "azure_app", "HTTP_METHODS"]

HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def gcp_entry(handler: Callable[..., Any]) -> Callable[..., Any]:
    """The Functions Framework target. A polycloud handler (http, queue, events) is used as it is:
    http() makes the checks its gateway leaves to the function. Any other function is an HTTP
    function of the Functions Framework: when its gateway put routes in the environment, the same
    checks run before it and the CORS headers are added to its answer (it still receives the Flask
    request as it is)."""
    if getattr(handler, "polycloud_kind", None):
        return handler

    def entry(request: Any):
        config = edge_config(os.environ)
        if config is None:
            return handler(request)
        req = flask_request(request)
        outcome = check_request(req.method, req.path, req.headers, config)
        if outcome.response is not None:
            status, headers, body = outcome.response
            text, headers = Response(status, body if body != "" else None, headers).encoded()
            return text, status, headers
        rv = handler(request)
        if not outcome.headers:
            return rv
        import flask  # the Functions Framework's web framework

        res = flask.make_response(rv)
        for k, v in outcome.headers.items():
            if k not in res.headers:
                res.headers[k] = v
        return res

    entry.__name__ = getattr(handler, "__name__", "entry")
    entry.__doc__ = getattr(handler, "__doc__", None)
    return entry


def _queue_ids(env: Mapping[str, str]):
    ids = []
    for k in env:
        m = re.fullmatch(r"QUEUE_([A-Z0-9_]+)__fullyQualifiedNamespace", k)
        if m:
            ids.append(m.group(1))
    return sorted(ids)


def _grid_event_type(func: Any) -> Any:
    """The type an Event Grid trigger binds. The platform's topics and subscriptions use the
    CloudEvents 1.0 schema, which azure-functions decodes into func.CloudEvent from 1.25.0b4
    (Azure/azure-functions-python-library#314). An older library has no CloudEvent: the trigger
    binds EventGridEvent, whose decoder reads the Event Grid schema only, and the runtime refuses
    the typeless event with a message naming the fix (packaging requires the pin on Azure)."""
    return getattr(func, "CloudEvent", None) or func.EventGridEvent


def azure_app(func: Any, name: str, handler: Callable[..., Any], env: Optional[Mapping[str, str]] = None) -> Any:
    """A `func.FunctionApp` with the registrations the handler's kind implies, as the Node runtime
    registers them: HTTP on every path below the /api prefix; a Service Bus queue trigger per
    consumed queue (identity connection QUEUE_<ID>, set by AzureQueue on its consumer only,
    cardinality one), the first named like the function; an Event Grid trigger named like the
    function, which event subscriptions with a function target deliver to."""
    env = os.environ if env is None else env
    kind = getattr(handler, "polycloud_kind", None)
    # Anonymous like the Node registration: API Management is the caller (issue 24.3 decides how
    # a direct call is refused for both runtimes).
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
    grid_event = _grid_event_type(func)
    if kind == "http":
        def http_trigger(req: func.HttpRequest) -> func.HttpResponse:
            return handler(req)

        app.function_name(name=name)(app.route(route="{*path}", methods=HTTP_METHODS, auth_level=func.AuthLevel.ANONYMOUS)(http_trigger))
    elif kind == "queue":
        # A bus rule targets this function (AzureEventBus sets PLATFORM_EVENT_GRID_FUNCTION to the
        # name its event subscription delivers to): an Event Grid trigger under that name, the
        # queues' triggers beside it (issue 24.2), as the Node registration does.
        grid = env.get("PLATFORM_EVENT_GRID_FUNCTION")
        if grid:
            def rule_event_trigger(event: grid_event) -> None:
                handler(event)

            app.function_name(name=grid)(app.event_grid_trigger(arg_name="event")(rule_event_trigger))
        for i, qid in enumerate(_queue_ids(env)):
            def service_bus_trigger(msg: func.ServiceBusMessage) -> None:
                handler(msg)

            app.function_name(name=name if i == 0 and grid != name else f"{name}-{qid.lower()}")(
                app.service_bus_queue_trigger(arg_name="msg", connection=f"QUEUE_{qid}", queue_name=f"%QUEUE_{qid}_NAME%", cardinality="one")(service_bus_trigger))
    elif kind == "events":
        def event_grid_trigger(event: grid_event) -> None:
            handler(event)

        app.function_name(name=name)(app.event_grid_trigger(arg_name="event")(event_grid_trigger))
    else:
        raise TypeError(f"polycloud: the handler of function {name!r} is not an http(), queue() or events() handler of polycloud_runtime")
    return app
