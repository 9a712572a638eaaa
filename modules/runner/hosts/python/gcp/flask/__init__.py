"""The part of Flask a Cloud Functions (Python) function sees, as the local runner's stand-in for
the Functions Framework provides it (PyPI is not reachable here): `Request` (method, path,
full_path, url, query_string, args, headers, environ, get_data, get_json, data, json),
`Response`, `make_response` and `jsonify` with Flask's return-value rules."""
import json as _json
from urllib.parse import parse_qsl

__all__ = ["Request", "Response", "make_response", "jsonify", "request"]


class Headers(dict):
    """Case-insensitive headers (what handlers read with .get)."""

    def __init__(self, items=()):
        super().__init__()
        for k, v in dict(items).items():
            self[k] = v

    def __setitem__(self, key, value):
        super().__setitem__(str(key).title(), value)

    def __getitem__(self, key):
        return super().__getitem__(str(key).title())

    def __contains__(self, key):
        return super().__contains__(str(key).title())

    def get(self, key, default=None):
        return super().get(str(key).title(), default)


class Args(dict):
    def __init__(self, pairs):
        super().__init__()
        self._lists = {}
        for k, v in pairs:
            self._lists.setdefault(k, []).append(v)
            if k not in self:
                dict.__setitem__(self, k, v)

    def getlist(self, key):
        return list(self._lists.get(key, []))

    def to_dict(self, flat=True):
        return dict(self) if flat else {k: list(v) for k, v in self._lists.items()}


class Request:
    def __init__(self, method, raw_uri, headers, body, host):
        path, _, query = raw_uri.partition("?")
        from urllib.parse import unquote
        self.method = method.upper()
        self.path = unquote(path) or "/"
        self.query_string = query.encode("latin-1")
        self.full_path = f"{self.path}?{query}"
        self.url = f"https://{host}{raw_uri}"
        self.host = host
        self.args = Args(parse_qsl(query, keep_blank_values=True))
        self.headers = Headers(headers)
        self.environ = {"RAW_URI": raw_uri, "REQUEST_URI": raw_uri, "REQUEST_METHOD": self.method, "PATH_INFO": self.path, "QUERY_STRING": query}
        self._body = body

    def get_data(self, cache=True, as_text=False, parse_form_data=False):
        return self._body.decode("utf-8", "replace") if as_text else self._body

    @property
    def data(self):
        return self._body

    def get_json(self, force=False, silent=False, cache=True):
        if not force and "json" not in str(self.headers.get("content-type", "")):
            if silent:
                return None
            raise ValueError("415 Unsupported Media Type: not application/json")
        try:
            return _json.loads(self._body or b"null")
        except ValueError:
            if silent:
                return None
            raise

    @property
    def json(self):
        return self.get_json(silent=True)


class Response:
    def __init__(self, response=None, status=None, headers=None, mimetype=None, content_type=None):
        body = response if response is not None else b""
        self.data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        self.status_code = int(status or 200)
        self.headers = Headers(headers or {})
        if content_type or mimetype:
            self.headers["Content-Type"] = content_type or mimetype
        self.headers.setdefault("Content-Type", "text/html; charset=utf-8") if "Content-Type" not in self.headers else None

    def get_data(self, as_text=False):
        return self.data.decode("utf-8") if as_text else self.data


def jsonify(*args, **kwargs):
    value = args[0] if len(args) == 1 else (list(args) if args else kwargs)
    return Response(_json.dumps(value), 200, {"Content-Type": "application/json"})


def make_response(rv=None):
    """Flask's rules: a Response, str/bytes, dict/list (JSON), or a tuple (body, status[, headers]) / (body, headers)."""
    if isinstance(rv, Response):
        return rv
    status = None
    headers = {}
    if isinstance(rv, tuple):
        if len(rv) == 3:
            rv, status, headers = rv
        elif len(rv) == 2:
            rv, second = rv
            if isinstance(second, (dict, list)):
                headers = second
            else:
                status = second
        else:
            raise TypeError("a view tuple has 2 or 3 items")
    if rv is None:
        raise TypeError("The view function did not return a valid response (None).")
    if isinstance(rv, Response):
        res = rv
    elif isinstance(rv, (dict, list)):
        res = jsonify(rv)
    elif isinstance(rv, (str, bytes)):
        res = Response(rv)
    else:
        raise TypeError(f"The view function returned an unsupported type {type(rv).__name__}.")
    if status is not None:
        res.status_code = int(status)
    for k, v in (headers.items() if isinstance(headers, dict) else headers):
        res.headers[k] = v
    return res


request = None
