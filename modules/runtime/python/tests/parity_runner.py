"""Runs the edge and HTTP vectors written by __tests__/runtime/edge-parity.test.ts through the
Python runtime and prints what it answered, for the Node test to compare with its own answers."""
import json
import logging
import os
import sys
from urllib.parse import urlsplit

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import polycloud_runtime as rt  # noqa: E402
from polycloud_runtime.edge import check_request, edge_config  # noqa: E402
from polycloud_runtime.tokens import JwksCache  # noqa: E402

logging.disable(logging.CRITICAL)


class FlaskRequest:
    """The attributes of a Functions Framework (Flask) request the runtime reads."""

    def __init__(self, method, url, headers, body):
        parts = urlsplit(url)
        self.method, self.path, self.headers = method, parts.path, headers
        self.query_string = parts.query.encode()
        self.args = {}
        self.environ = {"RAW_URI": url}
        self._body = body

    def get_data(self, as_text=False):
        return self._body if as_text else self._body.encode()


def main():
    vectors = json.load(open(sys.argv[1]))
    out = {"edge": [], "http": []}
    for case in vectors["edge"]:
        o = check_request(case["method"], case["path"], case["headers"], edge_config(case["env"]), jwks=JwksCache())
        if o.response is not None:
            status, headers, body = o.response
            out["edge"].append({"response": [status, headers, body]})
        else:
            out["edge"].append({"subject": (o.claims or {}).get("sub"), "headers": o.headers})
    for case in vectors["http"]:
        os.environ.clear()
        os.environ.update(case["env"])
        seen = []

        @rt.http
        def handler(req):
            seen.append({"path": req.path, "query": req.query, "authorization": req.headers.get("authorization"),
                         "forwarded": req.headers.get("x-forwarded-authorization"), "subject": req.auth.subject if req.auth else None})
            return rt.Response(200, {"ok": True}, {"x-handler": "1"})

        text, status, headers = handler(FlaskRequest(case["method"], case["url"], case["headers"], case.get("body", "")))
        out["http"].append({"status": status, "headers": headers, "body": json.loads(text) if text else "", "seen": seen[0] if seen else None})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
