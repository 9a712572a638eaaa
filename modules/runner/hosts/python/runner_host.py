"""What every Python function host of the local runner shares: the config file (last argument),
the runner's network (names of emulated services lead to its loopback listeners; sockets are
redirected through getaddrinfo), the runner's clock (time.time follows it) and the line protocol
on file descriptor 3 (one JSON object per line, so stdout and stderr stay the function's log)."""
import json
import os
import socket
import sys
import threading
import time
import traceback

CONFIG = json.load(open(sys.argv[-1], encoding="utf-8"))

_own = {k.lower(): v for k, v in (CONFIG.get("network") or {}).items()}
_shared = {}


def _route(host, port):
    key = f"{str(host).lower()}:{port}"
    if key in _own:
        return _own[key]
    global _shared
    if key not in _shared:
        try:
            with open(CONFIG["networkFile"], encoding="utf-8") as f:
                _shared = {k.lower(): v for k, v in json.load(f).items()}
        except (OSError, ValueError):
            _shared = {}
    return _shared.get(key)


_getaddrinfo = socket.getaddrinfo


def _redirected_getaddrinfo(host, port, *args, **kwargs):
    to = _route(host, port) if host is not None and port is not None else None
    if to:
        h, p = to.rsplit(":", 1)
        return _getaddrinfo(h, int(p), *args, **kwargs)
    return _getaddrinfo(host, port, *args, **kwargs)


socket.getaddrinfo = _redirected_getaddrinfo

# The runner's clock: time.time() follows it (the skew file), so datetime.now() built on it does too.
_real_time = time.time
_skew = [0.0, -1.0]


def _now():
    real = _real_time()
    if real - _skew[1] > 0.005 and CONFIG.get("clockFile"):
        _skew[1] = real
        try:
            with open(CONFIG["clockFile"], encoding="utf-8") as f:
                _skew[0] = float(f.read() or 0) / 1000.0
        except (OSError, ValueError):
            _skew[0] = 0.0
    return real + _skew[0]


time.time = _now

_ipc = os.fdopen(3, "r+b", buffering=0)
_lock = threading.Lock()


def send(message):
    data = (json.dumps(message) + "\n").encode("utf-8")
    with _lock:
        _ipc.write(data)


def error_of(err):
    return {"type": type(err).__name__, "message": str(err), "stack": traceback.format_exc()}


def serve(invoke):
    """Reads invocations from the runner; `invoke(payload)` returns the result value or raises."""
    buf = b""
    while True:
        chunk = _ipc.read(65536)
        if not chunk:
            return
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            if not line:
                continue
            msg = json.loads(line)
            if msg.get("type") != "invoke":
                continue
            try:
                value = invoke(msg["payload"], msg)
                send({"type": "result", "id": msg["id"], "ok": True, "value": value})
            except Exception as err:  # noqa: BLE001 - reported to the runner as the invocation's error
                traceback.print_exc()
                send({"type": "result", "id": msg["id"], "ok": False, "error": error_of(err)})
