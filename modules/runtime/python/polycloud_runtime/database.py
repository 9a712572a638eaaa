"""Database connection settings for Python functions, with the server verified.

The function constructs set the same variables for Python as for Node.js (see @polycloud/runtime):

    DB_<ID>_HOST / _PORT / _NAME / _USER   the endpoint and the function's own database role
    DB_<ID>_SSLMODE                        verify-full ("require", which does not verify, is refused)
    DB_<ID>_SSLROOTCERT                    the CA to trust: PEM text or a PEM file path (AWS: the RDS
                                           bundle in a layer; GCP: the instance's server CA; Azure:
                                           the roots Azure documents)
    DB_<ID>_SSLSERVERNAME                  the identity to check when it is not the host (GCP:
                                           "<project>:<instance>", the common name Cloud SQL's
                                           per-instance CA puts in the server certificate)

`ssl_context(id)` is for drivers that take an `ssl.SSLContext` (pg8000, asyncpg): it verifies the
chain and the identity during the handshake. `libpq_params(id)` is for libpq drivers (psycopg):
sslmode=verify-full with the CA as a file, and for an identity that is not the host the identity
as `host` with the address as `hostaddr` (libpq checks the certificate against `host` and
connects to `hostaddr`). The password is the function's identity token, as in Node.js.
"""
import ipaddress
import os
import ssl
import tempfile
from typing import Dict, Mapping, Optional

__all__ = ["database_endpoint", "ssl_context", "libpq_params"]

_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def _part(database_id: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in database_id.upper())


def database_endpoint(database_id: str, env: Optional[Mapping[str, str]] = None) -> Dict[str, Optional[str]]:
    env = os.environ if env is None else env
    p = "DB_%s_" % _part(database_id)
    missing = [p + k for k in ("HOST", "PORT", "NAME", "USER") if not env.get(p + k)]
    if missing:
        raise RuntimeError("polycloud_runtime: database '%s' is not bound to this function (%s not set)" % (database_id, ", ".join(missing)))
    return {
        "host": env[p + "HOST"], "port": env[p + "PORT"], "database": env[p + "NAME"], "user": env[p + "USER"],
        "sslmode": env.get(p + "SSLMODE") or "verify-full",
        "sslrootcert": env.get(p + "SSLROOTCERT") or None,
        "sslservername": env.get(p + "SSLSERVERNAME") or None,
    }


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False


def _cloud_sql_name(name: str) -> bool:
    """`<project>:<instance>`: compared with the certificate's common name, as Google's connectors do."""
    return ":" in name and not _is_ip(name)


def _pem(rootcert: str) -> str:
    if "-----BEGIN CERTIFICATE-----" in rootcert:
        return rootcert
    with open(rootcert, encoding="utf-8") as f:
        return f.read()


def _check_mode(ep) -> bool:
    """True when TLS is used; raises for anything that would not verify the server."""
    mode = ep["sslmode"]
    if mode == "verify-full":
        return True
    if mode == "disable" and ep["host"] in _LOOPBACK:
        return False
    if mode == "disable":
        raise RuntimeError("polycloud_runtime: sslmode disable is refused for %s; only a loopback pooler may be reached without TLS" % ep["host"])
    if mode == "require":
        raise RuntimeError("polycloud_runtime: sslmode 'require' encrypts without verifying the server, and is refused for %s; use verify-full with DB_<ID>_SSLROOTCERT" % ep["host"])
    raise RuntimeError("polycloud_runtime: sslmode '%s' is not supported (verify-full)" % mode)


class _NamedContext(ssl.SSLContext):
    """Checks a Cloud SQL instance name (certificate CN) right after the handshake; the chain is verified by OpenSSL."""
    expected = ""

    def wrap_socket(self, sock, *args, **kwargs):  # noqa: D401 - same signature as SSLContext
        kwargs.pop("server_hostname", None)
        wrapped = super().wrap_socket(sock, *args, **kwargs)
        if kwargs.get("do_handshake_on_connect", True):
            self.verify(wrapped)
        return wrapped

    def verify(self, wrapped) -> None:
        cert = wrapped.getpeercert() or {}
        names = [v for rdn in cert.get("subject", ()) for (k, v) in rdn if k == "commonName"]
        names += [v for (k, v) in cert.get("subjectAltName", ()) if k == "DNS"]
        if self.expected not in names:
            wrapped.close()
            raise ssl.SSLCertVerificationError(1, "database certificate names %s, not %s" % (", ".join(names) or "nothing", self.expected))


def ssl_context(database_id: str, env: Optional[Mapping[str, str]] = None) -> Optional[ssl.SSLContext]:
    """An SSLContext that verifies the server certificate chain and the server's identity (None on a loopback `disable`)."""
    ep = database_endpoint(database_id, env)
    if not _check_mode(ep):
        return None
    name = ep["sslservername"] or ep["host"]
    cadata = _pem(ep["sslrootcert"]) if ep["sslrootcert"] and ep["sslrootcert"] != "system" else None
    if _cloud_sql_name(name):
        ctx = _NamedContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.expected = name
        if cadata:
            ctx.load_verify_locations(cadata=cadata)
        else:
            ctx.load_default_certs()
        return ctx
    ctx = ssl.create_default_context(cadata=cadata) if cadata else ssl.create_default_context()
    ctx.check_hostname = True
    ctx.verify_mode = ssl.CERT_REQUIRED
    if ep["sslservername"] and ep["sslservername"] != ep["host"]:
        wrap = ctx.wrap_socket

        def wrap_with_name(sock, *args, **kwargs):
            kwargs["server_hostname"] = ep["sslservername"]
            return wrap(sock, *args, **kwargs)
        ctx.wrap_socket = wrap_with_name  # type: ignore[assignment]
    return ctx


def libpq_params(database_id: str, env: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """Keyword parameters for libpq (psycopg.connect(**params, password=token)), server verified."""
    ep = database_endpoint(database_id, env)
    params = {"host": ep["host"], "port": ep["port"], "dbname": ep["database"], "user": ep["user"]}
    if not _check_mode(ep):
        params["sslmode"] = "disable"
        return params
    params["sslmode"] = "verify-full"
    root = ep["sslrootcert"]
    if root and "-----BEGIN CERTIFICATE-----" in root:
        fd, path = tempfile.mkstemp(prefix="polycloud-ca-", suffix=".pem")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(root)
        root = path
    params["sslrootcert"] = root or "system"
    name = ep["sslservername"]
    if name and name != ep["host"]:
        params["host"], params["hostaddr"] = name, ep["host"]
    return params
