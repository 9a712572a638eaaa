"""The Azure Functions Python worker (v2 programming model) as the local runner plays it: it
imports function_app.py from the app folder, indexes the FunctionApp's functions (name, trigger
binding), and invokes one per call with the trigger's value built from the host's invocation
(HttpRequest, ServiceBusMessage with its metadata, EventGridEvent or CloudEvent as the
azure-functions version the app gets decodes it), binding it to the parameter
named like the trigger. An HTTP function's HttpResponse is returned to the host."""
import base64
import importlib.util
import inspect
import json
import os
import sys

import runner_host
import azure.functions as func

DIR = runner_host.CONFIG["dir"]
sys.path.insert(0, DIR)


def index():
    spec = importlib.util.spec_from_file_location("function_app", os.path.join(DIR, "function_app.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules["function_app"] = module
    spec.loader.exec_module(module)
    apps = [v for v in vars(module).values() if isinstance(v, func.FunctionApp)]
    if not apps:
        raise RuntimeError("function_app.py defines no FunctionApp")
    return {f.name: f for app in apps for f in app.get_functions()}


def typed(value):
    if not isinstance(value, dict):
        return value
    if "string" in value:
        return value["string"]
    if "json" in value:
        return json.loads(value["json"])
    if "int" in value:
        return value["int"]
    if "bytes" in value:
        return base64.b64decode(value["bytes"])
    return value


def trigger_value(binding, data, meta):
    kind = binding["type"]
    if kind == "httpTrigger":
        h = data["http"]
        body = h.get("body") or {}
        raw = body["string"].encode("utf-8") if "string" in body else base64.b64decode(body["bytes"]) if "bytes" in body else b""
        return func.HttpRequest(h["method"], h["url"], h.get("headers"), h.get("query"), h.get("params"), raw)
    if kind == "serviceBusTrigger":
        m = {k: typed(v) for k, v in (meta or {}).items()}
        value = typed(data)
        body = value if isinstance(value, bytes) else (value if isinstance(value, str) else json.dumps(value)).encode("utf-8")
        return func.ServiceBusMessage(body, m.get("MessageId"), m.get("DeliveryCount", 1), m.get("ApplicationProperties"), m.get("ContentType"),
                                      m.get("CorrelationId"), m.get("EnqueuedTimeUtc"), m.get("ExpiresAtUtc"), m.get("SequenceNumber"), m.get("LockToken"), m.get("Subject"))
    if kind == "eventGridTrigger":
        # The library's decoder: a CloudEvent from azure-functions 1.25.0b4 (when the app's own
        # library is the one loaded), else the Event Grid schema's fields (topic, eventType,
        # eventTime, dataVersion), which a CloudEvents-schema event has none of.
        return func.decode_event_grid(typed(data))
    raise ValueError(f"trigger {kind} is not emulated")


try:
    FUNCTIONS = index()
    registrations = []
    for name, f in FUNCTIONS.items():
        trigger = next((b for b in f.bindings if str(b.get("type", "")).endswith("Trigger")), {"type": "none"})
        registrations.append({"name": name, "trigger": {"bindingName": trigger.get("name"), **trigger}})
    runner_host.send({"type": "ready", "registrations": registrations})
except Exception as err:  # noqa: BLE001 - the worker reports an indexing failure
    import traceback
    traceback.print_exc()
    FUNCTIONS = {}
    runner_host.send({"type": "ready", "registrations": [], "error": runner_host.error_of(err)})


def invoke(payload, msg):
    f = FUNCTIONS.get(payload["function"])
    if f is None:
        raise KeyError(f"no function {payload['function']!r} in function_app.py")
    trigger = next(b for b in f.bindings if str(b.get("type", "")).endswith("Trigger"))
    data = next((i["data"] for i in payload.get("inputData", []) if i.get("name") == trigger["name"]), None)
    value = trigger_value(trigger, data, payload.get("triggerMetadata"))
    params = list(inspect.signature(f.fn).parameters)
    out = f.fn(**{trigger["name"]: value}) if trigger["name"] in params else f.fn(value)
    if trigger["type"] != "httpTrigger":
        return {"returnValue": None}
    if isinstance(out, str):
        out = func.HttpResponse(out)
    if out is None:
        return {"returnValue": None}
    return {"returnValue": {"http": {"statusCode": str(out.status_code), "headers": {str(k).lower(): str(v) for k, v in out.headers.items()},
                                     "body": {"bytes": base64.b64encode(out.get_body() or b"").decode("ascii")}}}}


runner_host.serve(invoke)
