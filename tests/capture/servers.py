"""Real servers for the capture tests: dovecot (IMAP), Radicale (CalDAV), an ICS feed.

Each starts on a free port of 127.0.0.1 with its state in a temporary directory and is
always torn down. Import the fixtures in a test module (``from tests.capture.servers
import dovecot, radicale, ics_feed``) or use the classes directly.
"""

from __future__ import annotations

import datetime
import email.utils
import getpass
import hashlib
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from imapclient import IMAPClient

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
DOVEADM = shutil.which("doveadm") or "/usr/bin/doveadm"

USERS = {"rita@acme.example": "rita-secret", "tom@acme.example": "tom-secret"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, *, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)
    return cert_path, key_path


def make_message(
    *,
    subject: str = "Hello",
    sender: str = "Carla Customer <carla@customer.example>",
    to: str = "Rita Rep <rita@acme.example>",
    message_id: str | None = None,
    date: datetime.datetime | None = None,
    body: str = "Shall we meet next week?",
) -> bytes:
    date = date or datetime.datetime.now(datetime.UTC)
    message_id = message_id or email.utils.make_msgid(domain="customer.example")
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {email.utils.format_datetime(date)}\r\n"
        f"Message-ID: {message_id}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


@dataclass
class Dovecot:
    """A throwaway dovecot: plain IMAP on ``port``, implicit TLS on ``tls_port``."""

    root: Path
    port: int = field(default_factory=free_port)
    tls_port: int = field(default_factory=free_port)
    users: dict[str, str] = field(default_factory=lambda: dict(USERS))
    # When set, dovecot also accepts XOAUTH2 / OAUTHBEARER and asks this URL (with the
    # access token appended) who the token belongs to: an OAuth2 token-info endpoint.
    oauth_tokeninfo_url: str | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def config(self) -> Path:
        return self.root / "dovecot.conf"

    def start(self) -> Dovecot:
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        cert, key = self_signed_certificate(self.root)
        if os.geteuid() == 0:
            # Dovecot refuses to read mail as root: the maildirs belong to nobody.
            mail_user = pwd.getpwnam("nobody")
            system_users = ""
        else:
            mail_user = pwd.getpwuid(os.getuid())
            me = getpass.getuser()
            system_users = f"default_login_user = {me}\ndefault_internal_user = {me}\n"
        mail_dir = self.root / "mail"
        mail_dir.mkdir(exist_ok=True)
        os.chown(mail_dir, mail_user.pw_uid, mail_user.pw_gid)
        (self.root / "passwd").write_text("".join(f"{user}:{{PLAIN}}{pw}::::::\n" for user, pw in self.users.items()))
        self.config.write_text(
            f"""
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
protocols = imap
listen = 127.0.0.1
{system_users}
first_valid_uid = {mail_user.pw_uid}
last_valid_uid = 0
first_valid_gid = 0
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = {self._mechanisms()}
{self._oauth_passdb()}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={mail_dir}/%u
}}
mail_location = maildir:{mail_dir}/%u/Maildir
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = create
  }}
  mailbox Archive {{
    auto = create
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port}
    ssl = yes
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""
        )
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(self.config)], stderr=subprocess.PIPE)
        try:
            wait_for_port(self.port)
            wait_for_port(self.tls_port)
        except RuntimeError:
            self.stop()
            raise RuntimeError(f"dovecot did not start: {self.log()}") from None
        return self

    def _mechanisms(self) -> str:
        return "plain login xoauth2 oauthbearer" if self.oauth_tokeninfo_url else "plain login"

    def _oauth_passdb(self) -> str:
        if not self.oauth_tokeninfo_url:
            return ""
        (self.root / "oauth2.conf").write_text(
            f"tokeninfo_url = {self.oauth_tokeninfo_url}\nusername_attribute = email\n"
            "active_attribute = active\nactive_value = true\n"
        )
        # Only the OAuth mechanisms reach this passdb; passwords go to the passwd-file below.
        return (
            f"passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = {self.root}/oauth2.conf\n}}\n"
        )

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text() if path.exists() else ""

    def client(self, user: str = "rita@acme.example") -> IMAPClient:
        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        client.login(user, self.users[user])
        return client

    def append(self, messages: list[bytes], *, user: str = "rita@acme.example", folder: str = "INBOX") -> None:
        client = self.client(user)
        try:
            for raw in messages:
                client.append(folder, raw)
        finally:
            client.logout()

    def doveadm(self, *args: str) -> str:
        result = subprocess.run(
            [DOVEADM, "-c", str(self.config), *args], capture_output=True, text=True, check=False, timeout=60
        )
        if result.returncode != 0:
            raise RuntimeError(f"doveadm {' '.join(args)} failed: {result.stderr}")
        return result.stdout

    def set_uidvalidity(self, value: int, *, user: str = "rita@acme.example", folder: str = "INBOX") -> None:
        """Give a folder a new UIDVALIDITY, the way a server does after a rebuild.

        The messages keep their content but, for a client, every UID is new.
        """
        self.doveadm("mailbox", "update", "-u", user, "--uid-validity", str(value), folder)

    def uidvalidity(self, *, user: str = "rita@acme.example", folder: str = "INBOX") -> int:
        client = self.client(user)
        try:
            return int(client.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"])
        finally:
            client.logout()

    def deliver_many(self, messages: list[bytes], *, user: str = "rita@acme.example") -> None:
        """Drop messages straight into the INBOX maildir: thousands in a second."""
        new = self.root / "mail" / user / "Maildir" / "new"
        if not new.exists():
            client = self.client(user)
            client.select_folder("INBOX")  # opening the INBOX creates the maildir
            client.logout()
        owner = (self.root / "mail").stat()
        host = socket.gethostname()
        for index, raw in enumerate(messages):
            path = new / f"{int(time.time())}.M{index}P{os.getpid()}.{host}"
            path.write_bytes(raw)
            os.chown(path, owner.st_uid, owner.st_gid)


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    root = Path(tempfile.mkdtemp(prefix="relintel-dovecot-"))
    server = Dovecot(root=root).start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


class TokenInfo:
    """An OAuth2 token-info endpoint: ``GET /tokeninfo?access_token=<token>``.

    Answers 200 with the token's owner (``{"email": …, "active": "true"}``) for a token in
    ``tokens``, 401 otherwise; ``asked`` counts the lookups (dovecot's, not ours).
    """

    def __init__(self) -> None:
        self.tokens: dict[str, str] = {}
        self.asked = 0
        info = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                info.asked += 1
                token = self.path.partition("access_token=")[2]
                owner = info.tokens.get(token)
                body = (
                    json.dumps({"email": owner, "active": "true"}) if owner else json.dumps({"error": "invalid_token"})
                ).encode()
                self.send_response(200 if owner else 401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/tokeninfo?access_token="

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def oauth_dovecot() -> Iterator[tuple[Dovecot, TokenInfo]]:
    """A dovecot that takes XOAUTH2 logins, checked against a local token-info endpoint."""
    info = TokenInfo()
    root = Path(tempfile.mkdtemp(prefix="relintel-dovecot-oauth-"))
    server = Dovecot(root=root, oauth_tokeninfo_url=info.url).start()
    try:
        yield server, info
    finally:
        server.stop()
        info.stop()
        shutil.rmtree(root, ignore_errors=True)


# --- Radicale ---------------------------------------------------------------------------


@dataclass
class Radicale:
    root: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> Radicale:
        self.root.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "radicale",
                "--config",
                "",
                "--server-hosts",
                f"127.0.0.1:{self.port}",
                "--storage-filesystem-folder",
                str(self.root / "collections"),
                "--auth-type",
                "none",
                "--rights-type",
                "owner_only",
                "--logging-level",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            wait_for_port(self.port, timeout=20)
        except RuntimeError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def calendar_url(self, user: str, calendar: str) -> str:
        return f"{self.url}{user}/{calendar}/"

    def seed(self, user: str, calendar: str, ics: bytes) -> str:
        """Create (or replace) a whole calendar with one PUT of an .ics file."""
        auth = (user, "x")
        requests.request("PROPFIND", f"{self.url}{user}/", auth=auth, headers={"Depth": "0"}, timeout=10)
        url = self.calendar_url(user, calendar)
        response = requests.put(url, data=ics, auth=auth, headers={"Content-Type": "text/calendar"}, timeout=10)
        response.raise_for_status()
        return url

    def put_event(self, user: str, calendar: str, name: str, ics: bytes) -> None:
        url = self.calendar_url(user, calendar) + name
        response = requests.put(url, data=ics, auth=(user, "x"), headers={"Content-Type": "text/calendar"}, timeout=10)
        response.raise_for_status()

    def delete_event(self, user: str, calendar: str, name: str) -> None:
        response = requests.delete(self.calendar_url(user, calendar) + name, auth=(user, "x"), timeout=10)
        response.raise_for_status()


@pytest.fixture(scope="module")
def radicale() -> Iterator[Radicale]:
    root = Path(tempfile.mkdtemp(prefix="relintel-radicale-"))
    server = Radicale(root=root).start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


# --- ICS feed ---------------------------------------------------------------------------


class IcsFeed:
    """A mutable .ics served with ETag and Last-Modified, answering 304 when unchanged."""

    def __init__(self) -> None:
        self.body = b""
        self.modified = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
        self.requests = 0
        self.not_modified = 0
        self.status = 200
        self.lock = threading.Lock()
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with feed.lock:
                    feed.requests += 1
                    body, modified, status = feed.body, feed.modified, feed.status
                if status != 200:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                last_modified = email.utils.format_datetime(modified, usegmt=True)
                unchanged = False
                if "If-None-Match" in self.headers:
                    unchanged = self.headers["If-None-Match"] == etag
                elif "If-Modified-Since" in self.headers:
                    since = email.utils.parsedate_to_datetime(self.headers["If-Modified-Since"])
                    unchanged = modified <= since
                if unchanged:
                    with feed.lock:
                        feed.not_modified += 1
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/calendar; charset=utf-8")
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", last_modified)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/calendar.ics"

    def publish(self, body: bytes) -> None:
        with self.lock:
            self.body = body
            # Last-Modified has a one-second resolution: make every change visible.
            self.modified = max(
                datetime.datetime.now(datetime.UTC).replace(microsecond=0),
                self.modified + datetime.timedelta(seconds=1),
            )

    def start(self) -> IcsFeed:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def ics_feed() -> Iterator[IcsFeed]:
    feed = IcsFeed().start()
    try:
        yield feed
    finally:
        feed.stop()
