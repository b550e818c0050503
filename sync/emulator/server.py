"""The HTTPS server on loopback that carries the emulator app."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .app import EmulatorApp
from .state import EmulatorState
from .tls import TlsFiles, ensure_certificates
from .web import Request

PERSIST_INTERVAL = 2.0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse connections, as with Salesforce
    server: _TlsServer

    def _serve(self) -> None:
        body = self._body()
        request = Request.build(self.command, self.path, dict(self.headers.items()), body)
        response = self.server.app.handle(request)
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if response.body and self.command != "HEAD":
            self.wfile.write(response.body)

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


class _TlsServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], context: ssl.SSLContext, app: EmulatorApp, verbose: bool) -> None:
        super().__init__(address, _Handler)
        self.context = context
        self.app = app
        self.verbose = verbose

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The TLS handshake runs here, in the connection's own thread, so a slow client blocks nobody.
        try:
            # Headers and body leave in separate writes; without NODELAY, Nagle + delayed ACK cost 40 ms a call.
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            wrapped = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        super().finish_request(wrapped, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if self.verbose:
            super().handle_error(request, client_address)


class EmulatorServer:
    """``with EmulatorServer() as sf: ...`` serves a fresh org at ``sf.url``; trust ``sf.ca_bundle``."""

    def __init__(
        self,
        port: int = 0,
        state: EmulatorState | None = None,
        *,
        host: str = "127.0.0.1",
        tls_dir: str | Path | None = None,
        verbose: bool = False,
    ) -> None:
        self.state = state or EmulatorState()
        self.host = host
        self.port = port
        self.tls: TlsFiles = ensure_certificates(tls_dir)
        self.app = EmulatorApp(self.state)
        self.verbose = verbose
        self._server: _TlsServer | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._saver: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    @property
    def ca_bundle(self) -> str:
        return str(self.tls.ca_bundle)

    def start(self) -> EmulatorServer:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.tls.server_cert, self.tls.server_key)
        self._server = _TlsServer((self.host, self.port), context, self.app, self.verbose)
        self.port = self._server.server_address[1]
        self.app.base_url = self.url
        self._stop.clear()
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()
        if self.state.persist_path:
            self._saver = threading.Thread(target=self._persist_loop, daemon=True)
            self._saver.start()
        return self

    def _persist_loop(self) -> None:
        while not self._stop.wait(PERSIST_INTERVAL):
            if self.state.dirty:
                self.state.save()

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self.state.persist_path:
            self.state.save()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- fault switches (the Python API; the same as POST /__emulator__/faults) -------------
    def expire_sessions(self) -> None:
        self.state.expire_sessions()

    def refuse_refresh(self, refuse: bool = True) -> None:
        self.state.faults.configure(refuse_refresh=refuse)

    def fail_next(self, count: int) -> None:
        """The next ``count`` requests answer 503."""
        with self.state.lock:
            self.state.faults.unavailable_remaining = count

    def lock_rows(self, **settings: Any) -> None:
        """UNABLE_TO_LOCK_ROW for: fraction=, external_ids=, match=, predicate=, times=."""
        names = {
            "fraction": "lock_row_fraction",
            "external_ids": "lock_row_external_ids",
            "match": "lock_row_match",
            "predicate": "lock_row_predicate",
            "times": "lock_row_times",
            "seed": "seed",
        }
        self.state.faults.configure(**{names[k]: v for k, v in settings.items()})

    def exceed_request_limit(self, exceeded: bool = True) -> None:
        self.state.faults.configure(request_limit_exceeded=exceeded)

    def set_latency(self, seconds: float) -> None:
        self.state.faults.configure(latency_seconds=seconds)

    def drop_external_id_field(self, *object_names: str) -> None:
        self.state.drop_external_id_field(*object_names)

    def make_field_unwritable(self, object_name: str, field_name: str) -> None:
        self.state.make_field_unwritable(object_name, field_name)

    def reset_faults(self) -> None:
        with self.state.lock:
            self.state.faults.reset()
            self.state.restore_schema()


def free_port() -> int:
    with contextlib.closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
