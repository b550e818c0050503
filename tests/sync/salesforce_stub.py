"""A tiny HTTPS stand-in for Salesforce's token endpoint and data API, for the connection and
client tests (the full emulator lives in ``sync/emulator``).

It answers the way Salesforce documents: the token endpoint with ``{"access_token",
"instance_url", "id", "issued_at", …}`` or ``{"error", "error_description"}``; the data API
with JSON, ``Sforce-Limit-Info: api-usage=N/M`` on every response, and errors as
``[{"message", "errorCode"}]``. Switches: ``expire_sessions()``, ``refuse_refresh``,
``limit_exceeded``, ``api_disabled``, ``fail_next`` (a queue of status codes).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import secrets
import ssl
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

ORG_ID = "00D000000000001EAA"
USER_ID = "005000000000001AAA"


@dataclass
class Pki:
    """A CA and a server certificate for 127.0.0.1/localhost, written to a directory."""

    directory: Path
    ca_path: Path
    cert_path: Path
    key_path: Path


def make_pki(name: str = "Relintel test CA") -> Pki:
    directory = Path(tempfile.mkdtemp(prefix="sfstub-"))
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.UTC)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pki = Pki(directory, directory / "ca.pem", directory / "cert.pem", directory / "key.pem")
    pki.ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    pki.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pki.key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return pki


def rsa_key_pair() -> tuple[str, str]:
    """(private PEM, public PEM) for the JWT bearer flow."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


Response = tuple[int, dict[str, str], bytes]


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    form: dict[str, str]
    body: bytes


@dataclass
class StubSalesforce:
    """The stand-in. ``override`` replaces every answer (to play a server that is not Salesforce)."""

    pki: Pki
    client_id: str = "3MVG9stub.client.id"
    client_secret: str = "stub-client-secret"
    jwt_public_key: str = ""
    jwt_username: str = "sync@acme.example"
    api_limit: int = 15000
    api_used: int = 100
    refuse_refresh: bool = False
    limit_exceeded: str = ""  # "TotalRequests" or "ConcurrentRequests" makes every data call fail
    api_disabled: bool = False
    fail_next: list[int] = field(default_factory=list)
    override: Callable[[Recorded], Response] | None = None
    requests: list[Recorded] = field(default_factory=list)
    codes: dict[str, str] = field(default_factory=dict)  # code -> redirect_uri
    code_challenges: dict[str, str] = field(default_factory=dict)
    access_tokens: set[str] = field(default_factory=set)
    refresh_tokens: set[str] = field(default_factory=set)
    token_grants: int = 0
    _server: ThreadingHTTPServer | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> StubSalesforce:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                form: dict[str, str] = {}
                if "form-urlencoded" in (self.headers.get("Content-Type") or ""):
                    form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                recorded = Recorded(self.command, parts.path, parse_qs(parts.query), dict(self.headers), form, body)
                stub.requests.append(recorded)
                status, headers, payload = stub.answer(recorded)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _handle

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.pki.cert_path, self.pki.key_path)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._server = server
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    # --- switches ----------------------------------------------------------------------------

    def expire_sessions(self) -> None:
        self.access_tokens.clear()

    def data_calls(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.startswith("/services/data/")]

    def token_calls(self, grant_type: str | None = None) -> list[Recorded]:
        calls = [r for r in self.requests if r.path == "/services/oauth2/token"]
        return [r for r in calls if grant_type is None or r.form.get("grant_type") == grant_type]

    def issue_code(self, redirect_uri: str, code_challenge: str = "") -> str:
        code = "aPrx" + secrets.token_urlsafe(12)
        self.codes[code] = redirect_uri
        self.code_challenges[code] = code_challenge
        return code

    # --- answers -------------------------------------------------------------------------------

    def answer(self, request: Recorded) -> Response:
        if self.override is not None:
            return self.override(request)
        if request.path == "/services/oauth2/token" and request.method == "POST":
            return self._token(request)
        if request.path == "/services/oauth2/revoke":
            return 200, {}, b""
        if request.path.startswith("/services/data/"):
            return self._data(request)
        return 404, {"Content-Type": "text/html"}, b"<html><body>Not found</body></html>"

    def _json(self, status: int, payload: Any, extra: dict[str, str] | None = None) -> Response:
        headers = {"Content-Type": "application/json;charset=UTF-8", **(extra or {})}
        return status, headers, json.dumps(payload).encode()

    def _oauth_error(self, error: str, description: str, status: int = 400) -> Response:
        return self._json(status, {"error": error, "error_description": description})

    def _grant(self, *, with_refresh: bool) -> Response:
        self.token_grants += 1
        access = "00D!stub." + secrets.token_urlsafe(16)
        self.access_tokens.add(access)
        payload = {
            "access_token": access,
            "instance_url": self.url,
            "id": f"{self.url}/id/{ORG_ID}/{USER_ID}",
            "token_type": "Bearer",
            "issued_at": str(int(dt.datetime.now(dt.UTC).timestamp() * 1000)),
            "signature": "stub",
            "scope": "api refresh_token",
        }
        if with_refresh:
            refresh = "5Aep" + secrets.token_urlsafe(16)
            self.refresh_tokens.add(refresh)
            payload["refresh_token"] = refresh
        return self._json(200, payload)

    def _token(self, request: Recorded) -> Response:
        form = request.form
        grant = form.get("grant_type", "")
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            try:
                claims = jwt.decode(
                    form.get("assertion", ""), self.jwt_public_key, algorithms=["RS256"], audience=self.url
                )
            except jwt.PyJWTError as exc:
                return self._oauth_error("invalid_grant", f"invalid assertion: {exc}")
            if claims.get("iss") != self.client_id:
                return self._oauth_error("invalid_client_id", "client identifier invalid")
            if claims.get("sub") != self.jwt_username:
                return self._oauth_error("invalid_grant", "user hasn't approved this consumer")
            return self._grant(with_refresh=False)
        if form.get("client_id") != self.client_id:
            return self._oauth_error("invalid_client_id", "client identifier invalid")
        if form.get("client_secret") != self.client_secret:
            return self._oauth_error("invalid_client", "invalid client credentials")
        if grant == "authorization_code":
            code = form.get("code", "")
            if code not in self.codes or self.codes.pop(code) != form.get("redirect_uri"):
                return self._oauth_error("invalid_grant", "invalid authorization code")
            return self._grant(with_refresh=True)
        if grant == "refresh_token":
            if self.refuse_refresh or form.get("refresh_token") not in self.refresh_tokens:
                return self._oauth_error("invalid_grant", "expired access/refresh token")
            response = self._grant(with_refresh=False)
            return response
        return self._oauth_error("unsupported_grant_type", "grant type not supported")

    def _data(self, request: Recorded) -> Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if token not in self.access_tokens:
            return self._json(401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
        if self.api_disabled:
            return self._json(
                403,
                [
                    {
                        "message": "The REST API is not enabled for this Organization.",
                        "errorCode": "API_DISABLED_FOR_ORG",
                    }
                ],
            )
        if self.limit_exceeded:
            return self._json(
                403,
                [{"message": f"{self.limit_exceeded} Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}],
            )
        self.api_used += 1
        limit = {"Sforce-Limit-Info": f"api-usage={self.api_used}/{self.api_limit}"}
        if self.fail_next:
            status = self.fail_next.pop(0)
            if status == 400:
                return self._json(
                    400,
                    [
                        {
                            "message": "unable to obtain exclusive access to this record",
                            "errorCode": "UNABLE_TO_LOCK_ROW",
                        }
                    ],
                    limit,
                )
            return self._json(status, [{"message": "Server unavailable", "errorCode": "SERVER_UNAVAILABLE"}], limit)
        rest = request.path.split("/", 4)[-1]  # after /services/data/vXX.X/
        if rest.startswith("limits"):
            limits = {"DailyApiRequests": {"Max": self.api_limit, "Remaining": self.api_limit - self.api_used}}
            return self._json(200, limits, limit)
        if rest.startswith("sobjects"):
            payload = {
                "encoding": "UTF-8",
                "maxBatchSize": 200,
                "sobjects": [{"name": n} for n in ("Account", "Contact", "Lead", "Task", "Event")],
            }
            return self._json(200, payload, limit)
        if rest.startswith("query"):
            soql = request.query.get("q", [""])[0]
            if rest.startswith("query/more-"):
                return self._json(200, {"totalSize": 3, "done": True, "records": [{"Id": "003C"}]}, limit)
            if "PAGED" in soql:
                return self._json(
                    200,
                    {
                        "totalSize": 3,
                        "done": False,
                        "nextRecordsUrl": request.path.rsplit("/query", 1)[0] + "/query/more-2000",
                        "records": [{"Id": "003A"}, {"Id": "003B"}],
                    },
                    limit,
                )
            return self._json(200, {"totalSize": 1, "done": True, "records": [{"Id": "003A"}]}, limit)
        return self._json(404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}], limit)


def connect_web(membership: Any, stub: StubSalesforce, *, redirect_uri: str = "https://relintel.test/cb/") -> Any:
    """Save settings pointing at the stub and run the web-server flow end to end through the services."""
    from sync import services

    services.salesforce_connection_save(
        membership=membership,
        login_url=stub.url,
        auth_flow="web_server",
        client_id=stub.client_id,
        client_secret=stub.client_secret,
        ca_bundle_path=str(stub.pki.ca_path),
    )
    url = services.salesforce_connection_authorization_start(membership=membership, redirect_uri=redirect_uri)
    query = parse_qs(urlsplit(url).query)
    code = stub.issue_code(redirect_uri, query.get("code_challenge", [""])[0])
    return services.salesforce_connection_authorization_complete(
        membership=membership, state=query["state"][0], code=code, redirect_uri=redirect_uri
    )
