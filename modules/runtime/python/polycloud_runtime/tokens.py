"""Bearer token verification, the twin of modules/runtime/src/jwt.ts (standard library only).

RS256/384/512 (RSASSA-PKCS1-v1_5) and ES256/384 (ECDSA on P-256/P-384) signatures are checked
against the issuer's JWKS with Python integers: verification only handles public values, so no
constant-time arithmetic is needed. Then `iss`, `aud`, `exp` and `nbf`. The JWKS is cached with
the same TTL, refetch cooldown, timeout and size limit as the Node runtime, and fetched over https
only (plain http to a loopback issuer, for a local runner).
"""
import base64
import hashlib
import hmac
import ipaddress
import json
import threading
import time
import urllib.request
from typing import Any, Callable, Dict, List, Optional
from urllib.parse import urlsplit

__all__ = ["TokenError", "JwksCache", "verify_jwt", "JWKS_DEFAULTS"]


class TokenError(Exception):
    """Why a token was refused: logged, never sent to the caller."""


JWKS_DEFAULTS = {"ttl": 600.0, "cooldown": 30.0, "timeout": 5.0, "max_bytes": 256 * 1024}
NBF_LEEWAY_SECONDS = 60

# ---------------------------------------------------------------- RSA

# DER DigestInfo prefixes (RFC 8017 section 9.2, note 1).
_DIGEST_INFO = {
    "sha256": bytes.fromhex("3031300d060960864801650304020105000420"),
    "sha384": bytes.fromhex("3041300d060960864801650304020205000430"),
    "sha512": bytes.fromhex("3051300d060960864801650304020305000440"),
}


def _rsa_verify(n: int, e: int, digest_name: str, message: bytes, signature: bytes) -> bool:
    k = (n.bit_length() + 7) // 8
    if len(signature) != k:
        return False
    s = int.from_bytes(signature, "big")
    if s >= n:
        return False
    em = pow(s, e, n).to_bytes(k, "big")
    t = _DIGEST_INFO[digest_name] + hashlib.new(digest_name, message).digest()
    if k < len(t) + 11:
        return False
    expected = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
    return hmac.compare_digest(em, expected)


# ---------------------------------------------------------------- ECDSA (short Weierstrass, Jacobian coordinates)

class _Curve:
    def __init__(self, p: int, a: int, b: int, gx: int, gy: int, n: int, size: int):
        self.p, self.a, self.b, self.g, self.n, self.size = p, a, b, (gx, gy, 1), n, size

    def on_curve(self, x: int, y: int) -> bool:
        return 0 <= x < self.p and 0 <= y < self.p and (y * y - (x * x * x + self.a * x + self.b)) % self.p == 0

    def double(self, P):
        X, Y, Z = P
        if Z == 0 or Y == 0:
            return (0, 1, 0)
        p = self.p
        YY = Y * Y % p
        S = 4 * X * YY % p
        ZZ = Z * Z % p
        M = (3 * X * X + self.a * ZZ * ZZ) % p
        X3 = (M * M - 2 * S) % p
        return (X3, (M * (S - X3) - 8 * YY * YY) % p, 2 * Y * Z % p)

    def add(self, P, Q):
        if P[2] == 0:
            return Q
        if Q[2] == 0:
            return P
        p = self.p
        Z1Z1, Z2Z2 = P[2] * P[2] % p, Q[2] * Q[2] % p
        U1, U2 = P[0] * Z2Z2 % p, Q[0] * Z1Z1 % p
        S1, S2 = P[1] * Q[2] * Z2Z2 % p, Q[1] * P[2] * Z1Z1 % p
        if U1 == U2:
            return self.double(P) if S1 == S2 else (0, 1, 0)
        H, R = (U2 - U1) % p, (S2 - S1) % p
        HH = H * H % p
        HHH = H * HH % p
        V = U1 * HH % p
        X3 = (R * R - HHH - 2 * V) % p
        return (X3, (R * (V - X3) - S1 * HHH) % p, H * P[2] * Q[2] % p)

    def mul(self, k: int, P):
        R = (0, 1, 0)
        for bit in bin(k)[2:]:
            R = self.double(R)
            if bit == "1":
                R = self.add(R, P)
        return R

    def affine_x(self, P) -> Optional[int]:
        if P[2] == 0:
            return None
        return P[0] * pow(P[2] * P[2] % self.p, -1, self.p) % self.p


_P256_P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
_P384_P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFF0000000000000000FFFFFFFF
_CURVES = {
    "P-256": _Curve(
        _P256_P, _P256_P - 3,
        0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B,
        0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
        0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
        0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551, 32),
    "P-384": _Curve(
        _P384_P, _P384_P - 3,
        0xB3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875AC656398D8A2ED19D2A85C8EDD3EC2AEF,
        0xAA87CA22BE8B05378EB1C71EF320AD746E1D3B628BA79B9859F741E082542A385502F25DBF55296C3A545E3872760AB7,
        0x3617DE4A96262C6F5D9E98BF9292DC29F8F41DBD289A147CE9DA3113B5F0B8C00A60B1CE1D7E819D7A431D7C90EA0E5F,
        0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973, 48),
}


def _ecdsa_verify(curve: _Curve, qx: int, qy: int, digest_name: str, message: bytes, signature: bytes) -> bool:
    if len(signature) != 2 * curve.size or not curve.on_curve(qx, qy):
        return False
    r = int.from_bytes(signature[:curve.size], "big")
    s = int.from_bytes(signature[curve.size:], "big")
    n = curve.n
    if not (1 <= r < n and 1 <= s < n):
        return False
    digest = hashlib.new(digest_name, message).digest()
    z = int.from_bytes(digest, "big") >> max(0, len(digest) * 8 - n.bit_length())
    w = pow(s, -1, n)
    point = curve.add(curve.mul(z * w % n, curve.g), curve.mul(r * w % n, (qx, qy, 1)))
    x = curve.affine_x(point)
    return x is not None and x % n == r


# ---------------------------------------------------------------- JWKS

_ALGS = {
    "RS256": ("sha256", "RSA", None), "RS384": ("sha384", "RSA", None), "RS512": ("sha512", "RSA", None),
    "ES256": ("sha256", "EC", "P-256"), "ES384": ("sha384", "EC", "P-384"),
}


def _b64url(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_jwks_uri(uri: str) -> None:
    parts = urlsplit(uri)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return
    raise TokenError(f"JWKS URI {uri!r} is not https")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D401, N802
        raise TokenError(f"{req.full_url} redirects ({code}); refused")


def _fetch_json(uri: str, timeout: float, max_bytes: int) -> Any:
    check_jwks_uri(uri)
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(urllib.request.Request(uri, headers={"accept": "application/json"}), timeout=timeout) as res:
            body = res.read(max_bytes + 1)
    except TokenError:
        raise
    except Exception as err:  # noqa: BLE001 - any transport failure refuses the token
        raise TokenError(f"{uri}: {type(err).__name__}: {err}") from err
    if len(body) > max_bytes:
        raise TokenError(f"{uri} is larger than {max_bytes} bytes")
    try:
        return json.loads(body)
    except ValueError as err:
        raise TokenError(f"{uri} is not JSON") from err


class JwksCache:
    """Signing keys per JWKS URI, with the Node runtime's rules: trusted for `ttl` seconds, an
    unknown `kid` refetches at most once per `cooldown`, a failed fetch fails the lookup."""

    def __init__(self, ttl: float = JWKS_DEFAULTS["ttl"], cooldown: float = JWKS_DEFAULTS["cooldown"],
                 timeout: float = JWKS_DEFAULTS["timeout"], max_bytes: int = JWKS_DEFAULTS["max_bytes"],
                 now: Callable[[], float] = time.monotonic, fetch_json: Optional[Callable[[str, float, int], Any]] = None):
        self.ttl, self.cooldown, self.timeout, self.max_bytes, self.now = ttl, cooldown, timeout, max_bytes, now
        self.fetch_json = fetch_json or _fetch_json
        self.fetches = 0
        self._entries: Dict[str, Dict[str, Any]] = {}
        self._lock = threading.Lock()

    def _entry(self, uri: str) -> Dict[str, Any]:
        return self._entries.setdefault(uri, {"value": None, "fetched": float("-inf"), "attempted": float("-inf")})

    def _refresh(self, uri: str, entry: Dict[str, Any], read: Callable[[Any], Any]) -> None:
        entry["attempted"] = self.now()
        self.fetches += 1
        entry["value"] = read(self.fetch_json(uri, self.timeout, self.max_bytes))
        entry["fetched"] = self.now()

    def jwks_uri_of(self, openid_config_uri: str) -> str:
        def read(doc: Any) -> str:
            uri = doc.get("jwks_uri") if isinstance(doc, dict) else None
            if not isinstance(uri, str):
                raise TokenError(f"OpenID configuration {openid_config_uri} has no jwks_uri")
            check_jwks_uri(uri)
            return uri

        with self._lock:
            entry = self._entry("openid " + openid_config_uri)
            if self.now() - entry["fetched"] >= self.ttl:
                entry["value"] = None
                if self.now() - entry["attempted"] < self.cooldown:
                    raise TokenError(f"OpenID configuration {openid_config_uri} unavailable (last fetch failed less than {self.cooldown} s ago)")
                self._refresh(openid_config_uri, entry, read)
            return entry["value"]

    def key(self, uri: str, kid: Optional[str]) -> Dict[str, Any]:
        def read(doc: Any) -> List[Dict[str, Any]]:
            keys = doc.get("keys") if isinstance(doc, dict) else None
            if not isinstance(keys, list):
                raise TokenError(f"JWKS {uri} has no keys array")
            return [k for k in keys if isinstance(k, dict)]

        def find(keys) -> Optional[Dict[str, Any]]:
            return next((k for k in keys or [] if k.get("kid") == kid and k.get("use", "sig") == "sig"), None)

        with self._lock:
            entry = self._entry(uri)
            now = self.now()
            if now - entry["fetched"] >= self.ttl:
                entry["value"] = None
                if now - entry["attempted"] < self.cooldown:
                    raise TokenError(f"JWKS {uri} unavailable (last fetch failed less than {self.cooldown} s ago)")
                self._refresh(uri, entry, read)
            elif find(entry["value"]) is None and now - entry["attempted"] >= self.cooldown:
                self._refresh(uri, entry, read)
            jwk = find(entry["value"])
        if jwk is None:
            raise TokenError(f"unknown signing key {json.dumps(kid)}")
        return jwk


def _decode_part(part: str, what: str) -> Dict[str, Any]:
    try:
        value = json.loads(_b64url(part))
    except (ValueError, TypeError) as err:
        raise TokenError(f"malformed token {what}") from err
    if not isinstance(value, dict):
        raise TokenError(f"malformed token {what}")
    return value


def _int(jwk: Dict[str, Any], name: str) -> int:
    v = jwk.get(name)
    if not isinstance(v, str):
        raise TokenError(f"key {json.dumps(jwk.get('kid'))} has no {name}")
    return int.from_bytes(_b64url(v), "big")


def verify_jwt(token: str, issuer: Optional[str], audiences: Optional[List[str]], jwks_uri: Optional[str],
               cache: JwksCache, now: Optional[float] = None, openid_config_uri: Optional[str] = None) -> Dict[str, Any]:
    """The claims of a valid token, or TokenError. Fails closed without issuer, audiences and keys."""
    if not issuer or not audiences or not (jwks_uri or openid_config_uri):
        raise TokenError("token checks are not configured (issuer, audiences and a JWKS URI or OpenID configuration are all required)")
    now = time.time() if now is None else now
    parts = token.split(".")
    if len(parts) != 3 or any(not all(c.isalnum() or c in "-_" for c in p) for p in parts):
        raise TokenError("malformed token")
    header = _decode_part(parts[0], "header")
    claims = _decode_part(parts[1], "payload")
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in _ALGS:
        raise TokenError(f"algorithm {json.dumps(alg)} not accepted")
    if "crit" in header:
        raise TokenError("critical header parameters are not supported")
    digest_name, kty, crv = _ALGS[alg]
    kid = header.get("kid") if isinstance(header.get("kid"), str) else None
    jwk = cache.key(jwks_uri or cache.jwks_uri_of(openid_config_uri), kid)
    if jwk.get("kty") != kty or (crv and jwk.get("crv") != crv):
        raise TokenError(f"key {json.dumps(jwk.get('kid'))} ({jwk.get('kty')}{' ' + str(jwk.get('crv')) if jwk.get('crv') else ''}) does not fit {alg}")
    if "alg" in jwk and jwk["alg"] != alg:
        raise TokenError(f"key {json.dumps(jwk.get('kid'))} is for {jwk['alg']}, not {alg}")
    message = f"{parts[0]}.{parts[1]}".encode("ascii")
    try:
        signature = _b64url(parts[2])
    except ValueError as err:
        raise TokenError("malformed token signature") from err
    if kty == "RSA":
        n = _int(jwk, "n")
        if n.bit_length() < 2048:
            raise TokenError(f"key {json.dumps(jwk.get('kid'))} is shorter than 2048 bits")
        ok = _rsa_verify(n, _int(jwk, "e"), digest_name, message, signature)
    else:
        ok = _ecdsa_verify(_CURVES[crv], _int(jwk, "x"), _int(jwk, "y"), digest_name, message, signature)
    if not ok:
        raise TokenError("bad signature")
    if claims.get("iss") != issuer:
        raise TokenError("wrong issuer")
    aud = claims.get("aud")
    if not any(isinstance(a, str) and a in audiences for a in (aud if isinstance(aud, list) else [aud])):
        raise TokenError("wrong audience")
    exp = claims.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, (int, float)) or exp <= now:
        raise TokenError("expired")
    nbf = claims.get("nbf")
    if nbf is not None and (isinstance(nbf, bool) or not isinstance(nbf, (int, float)) or nbf > now + NBF_LEEWAY_SECONDS):
        raise TokenError("not yet valid")
    return claims
