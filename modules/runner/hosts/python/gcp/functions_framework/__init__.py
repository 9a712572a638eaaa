"""The registration decorators of the Python Functions Framework, as the local runner's stand-in
provides them (PyPI is not reachable here): `http` and `cloud_event` record the function's
signature type by name; the host (gcp_functions_python.py) reads the registry."""
REGISTRY = {}


def http(fn):
    REGISTRY[fn.__name__] = "http"
    return fn


def cloud_event(fn):
    REGISTRY[fn.__name__] = "cloudevent"
    return fn
