"""The checks a gateway leaves to the function, the twin of modules/runtime/src/edge.ts.

Read from what the gateway construct synthesized into the function's environment:
  PLATFORM_ROUTES        [{method, path, authorized}] of this function
  PLATFORM_CORS          resolved CORS settings plus every gateway route (GCP only)
  PLATFORM_JWT_ISSUER, PLATFORM_JWT_AUDIENCES, PLATFORM_JWT_JWKS_URI or PLATFORM_JWT_OPENID_CONFIG
No PLATFORM_ROUTES, no checks (AWS: API Gateway made them and passes the verified claims).
"""
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional

from .tokens import JwksCache, TokenError, verify_jwt

__all__ = ["EdgeConfig", "Outcome", "edge_config", "check_request", "match_path", "cors_headers"]
log = logging.getLogger("polycloud_runtime")

_NAMES = ("PLATFORM_ROUTES", "PLATFORM_CORS", "PLATFORM_JWT_ISSUER", "PLATFORM_JWT_AUDIENCES", "PLATFORM_JWT_JWKS_URI", "PLATFORM_JWT_OPENID_CONFIG")


@dataclass
class EdgeConfig:
    routes: List[Dict[str, Any]]
    cors: Optional[Dict[str, Any]] = None
    jwt: Optional[Dict[str, Any]] = None


@dataclass
class Outcome:
    """`response` (status, headers, body) to send as it is, or the claims and CORS headers to go on with."""
    response: Optional[tuple] = None
    claims: Optional[Dict[str, Any]] = None
    headers: Dict[str, str] = field(default_factory=dict)


def _parse(env: Mapping[str, str], name: str) -> Any:
    text = env.get(name)
    if text is None or text == "":
        return None
    try:
        return json.loads(text)
    except ValueError as err:
        raise ValueError(f"polycloud_runtime: {name} is not JSON") from err


_memo: Dict[str, Any] = {}


def edge_config(env: Mapping[str, str]) -> Optional[EdgeConfig]:
    key = "\x01".join(env.get(n, "\x00") for n in _NAMES)
    if _memo.get("key") == key:
        return _memo["config"]
    routes = _parse(env, "PLATFORM_ROUTES")
    config = None
    if routes is not None:
        if not isinstance(routes, list):
            raise ValueError("polycloud_runtime: PLATFORM_ROUTES is not a JSON array")
        jwt = None
        if any(n in env for n in _NAMES[2:]):
            jwt = {"issuer": env.get("PLATFORM_JWT_ISSUER"), "audiences": _parse(env, "PLATFORM_JWT_AUDIENCES"),
                   "jwks_uri": env.get("PLATFORM_JWT_JWKS_URI"), "openid_config_uri": env.get("PLATFORM_JWT_OPENID_CONFIG")}
        config = EdgeConfig(routes, _parse(env, "PLATFORM_CORS"), jwt)
    _memo.update(key=key, config=config)
    return config


def match_path(template: str, path: str) -> bool:
    t = [s for s in template.split("/") if s]
    p = [s for s in path.split("?")[0].split("/") if s]
    for i, seg in enumerate(t):
        if re.fullmatch(r"\{[^}]+\+\}", seg):
            return len(p) > i
        if i >= len(p):
            return False
        if not re.fullmatch(r"\{[^}]+\}", seg) and seg != p[i]:
            return False
    return len(t) == len(p)


def cors_headers(cors: Optional[Dict[str, Any]], origin: Optional[str]) -> Dict[str, str]:
    """A listed origin is reflected (with credentials when allowed); one allowed only through `*`
    gets `*`, never with credentials."""
    if not cors or not origin:
        return {}
    origins = cors.get("allowOrigins") or []
    listed = origin in origins
    if not listed and "*" not in origins:
        return {}
    h = {"access-control-allow-origin": origin if listed else "*"}
    if listed:
        h["vary"] = "origin"
    if listed and cors.get("allowCredentials"):
        h["access-control-allow-credentials"] = "true"
    if cors.get("exposeHeaders"):
        h["access-control-expose-headers"] = ",".join(cors["exposeHeaders"])
    return h


def _json(status: int, body: Any, headers: Optional[Dict[str, str]] = None) -> Outcome:
    return Outcome(response=(status, {"content-type": "application/json", **(headers or {})}, body))


_default_cache = JwksCache()


def _warn(msg: str, **fields: Any) -> None:
    log.warning(json.dumps({"level": "warn", "msg": msg, **fields}))


def check_request(method: str, path: str, headers: Mapping[str, str], config: EdgeConfig,
                  jwks: Optional[JwksCache] = None, now: Optional[float] = None) -> Outcome:
    """Header names are lower case. 401 bodies are fixed; the reason is logged, never sent."""
    cors = config.cors
    base = cors_headers(cors, headers.get("origin"))
    method = method.upper()
    requested = headers.get("access-control-request-method")
    if method == "OPTIONS" and cors and requested:
        declared = [r for r in (cors.get("routes") or config.routes) if match_path(r["path"], path)]
        if not declared:
            return _json(404, {"error": "not found"})
        if "access-control-allow-origin" not in base or not any(r["method"] in ("ANY", requested.upper()) for r in declared):
            return Outcome(response=(403, {}, ""))
        return Outcome(response=(204, {
            **base,
            "access-control-allow-methods": ",".join(cors.get("allowMethods") or []),
            "access-control-allow-headers": ",".join(cors.get("allowHeaders") or []),
            "access-control-max-age": str(cors.get("maxAgeSeconds")),
        }, ""))
    on_path = [r for r in config.routes if match_path(r["path"], path)]
    if not on_path:
        return _json(404, {"error": "not found"}, base)
    route = next((r for r in on_path if r["method"] in (method, "ANY")), None)
    if route is None:
        return _json(405, {"error": "method not allowed"}, {**base, "allow": ",".join(r["method"] for r in on_path)})
    if not route.get("authorized"):
        return Outcome(headers=base)
    m = re.fullmatch(r"(?i)Bearer +(\S+)", headers.get("authorization", ""))
    if not m:
        _warn("request refused: no bearer token", method=method, path=path)
        return _json(401, {"error": "unauthorized"}, {**base, "www-authenticate": "Bearer"})
    try:
        jwt = config.jwt
        if not jwt:
            raise TokenError("token checks are not configured, yet the route is authorized")
        claims = verify_jwt(m.group(1), jwt.get("issuer"), jwt.get("audiences"), jwt.get("jwks_uri"), jwks or _default_cache, now,
                            openid_config_uri=jwt.get("openid_config_uri"))
        return Outcome(claims=claims, headers=base)
    except Exception as err:  # noqa: BLE001 - every failure is a fixed 401; the reason is logged
        reason = str(err) if isinstance(err, TokenError) else f"{type(err).__name__}: {err}"
        _warn("request refused: invalid token", method=method, path=path, reason=reason)
        return _json(401, {"error": "invalid_token"}, {**base, "www-authenticate": 'Bearer error="invalid_token"'})
