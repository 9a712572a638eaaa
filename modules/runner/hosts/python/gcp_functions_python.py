"""Google Cloud Functions (2nd gen) for Python as the local runner plays it. The Python Functions
Framework cannot be installed here (no PyPI), so this host does what it does for HTTP functions:
loads main.py from the source folder, takes FUNCTION_TARGET from it, serves it on PORT and calls
it with a Flask-style request (hosts/python/gcp/flask), turning the return value into a response
with Flask's rules; an exception answers 500. CloudEvent-signature functions get the request's
CloudEvent (binary or structured mode) as a dict."""
import importlib.util
import json
import os
import sys
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import runner_host
import flask
import functions_framework

SOURCE = os.environ.get("FUNCTION_SOURCE") or os.path.join(runner_host.CONFIG["dir"], "main.py")
TARGET = os.environ.get("FUNCTION_TARGET", "")
sys.path.insert(0, os.path.dirname(SOURCE))


def load():
    spec = importlib.util.spec_from_file_location("main", SOURCE)
    module = importlib.util.module_from_spec(spec)
    sys.modules["main"] = module
    spec.loader.exec_module(module)
    fn = getattr(module, TARGET, None)
    if not callable(fn):
        raise AttributeError(f"File {SOURCE} is expected to contain a function named '{TARGET}'")
    return fn, functions_framework.REGISTRY.get(TARGET, os.environ.get("FUNCTION_SIGNATURE_TYPE", "http"))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def _serve(self):
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        req = flask.Request(self.command, self.path, dict(self.headers.items()), body, self.headers.get("host", "localhost"))
        try:
            if SIGNATURE == "cloudevent":
                if req.headers.get("ce-id"):
                    event = {k[3:]: v for k, v in dict(self.headers.items()).items() if k.lower().startswith("ce-")}
                    event["data"] = req.get_json(silent=True, force=True)
                else:
                    event = req.get_json(force=True)
                FN(event)
                res = flask.Response("OK", 200)
            else:
                res = flask.make_response(FN(req))
        except Exception:  # noqa: BLE001 - the framework answers 500 for an exception
            traceback.print_exc()
            res = flask.Response("Internal Server Error", 500)
        data = res.get_data()
        self.send_response(res.status_code)
        for k, v in res.headers.items():
            if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(k, str(v))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve


try:
    FN, SIGNATURE = load()
except Exception as err:  # noqa: BLE001
    traceback.print_exc()
    runner_host.send({"type": "ready", "error": runner_host.error_of(err)})
    sys.exit(1)

server = ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("PORT") or 0)), Handler)
runner_host.send({"type": "ready", "port": server.server_address[1]})
server.serve_forever()
