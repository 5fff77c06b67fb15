"""A small threaded HTTP/1.1 WSGI server with keep-alive, TLS and drop support.

Werkzeug's development server always answers ``Connection: close``, which would
make "N requests on one session = 1 connection" untestable, so this handler
speaks HTTP/1.1 persistent connections itself. TLS is negotiated in the worker
thread (not in the accept loop) so one slow client cannot stall the others, and
every accepted TCP connection is counted before any byte is read.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import socketserver
import ssl
import sys
import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import IO, Any, cast
from urllib.parse import unquote

from werkzeug.serving import DechunkedInput
from werkzeug.wsgi import LimitedStream

log = logging.getLogger("simulator.http")
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_NO_BODY = {204, 304}


class DroppedByApp(Exception):
    """Raised by the app (or any exception class named in ``drop_exceptions``)."""


class KeepAliveHandler(BaseHTTPRequestHandler):
    """Serve WSGI over persistent HTTP/1.1 connections."""

    protocol_version = "HTTP/1.1"
    timeout = 75  # idle keep-alive seconds before the server closes the socket
    # Buffer the head and body into one TLS record; unbuffered small writes hit
    # Nagle + delayed ACK and cost ~40 ms per response.
    wbufsize = 64 * 1024
    server: SimHTTPServer

    def __getattr__(self, name: str) -> Any:
        # Every HTTP method goes through the same WSGI dispatch.
        if name.startswith("do_"):
            return self.run_wsgi
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        """Send access lines to logging (paths only; headers are never logged)."""
        log.info("%s - %s", self.address_string(), format % args)

    def _environ(self, stream: Any) -> dict[str, Any]:
        path, _, query = self.path.partition("?")
        host, port = self.server.server_address[:2]
        environ: dict[str, Any] = {
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "https" if self.server.ssl_context else "http",
            "wsgi.input": stream,
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(path, encoding="latin-1"),
            "QUERY_STRING": query,
            "REMOTE_ADDR": self.client_address[0],
            "REMOTE_PORT": str(self.client_address[1]),
            "SERVER_NAME": str(host),
            "SERVER_PORT": str(port),
            "SERVER_PROTOCOL": self.request_version,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": self.headers.get("Content-Length", ""),
        }
        for key, value in self.headers.items():
            name = "HTTP_" + key.upper().replace("-", "_")
            if name in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                continue
            environ[name] = f"{environ[name]},{value}" if name in environ else value
        return environ

    def _input(self) -> Any:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True  # no reliable way to find the next request
            return DechunkedInput(cast("IO[bytes]", self.rfile))
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        return LimitedStream(cast("IO[bytes]", self.rfile), max(length, 0))

    def run_wsgi(self) -> None:
        """Run the app for one request and write its response."""
        stream = self._input()
        environ = self._environ(stream)
        state: dict[str, Any] = {
            "status": None,
            "headers": None,
            "sent": False,
            "chunked": False,
        }

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], None]:
            if exc_info and state["sent"]:
                raise exc_info[1].with_traceback(exc_info[2])
            state["status"], state["headers"] = status, headers
            return write

        def write(data: bytes) -> None:
            if not state["sent"]:
                self._send_head(state)
            if data:
                if state["chunked"]:
                    self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                else:
                    self.wfile.write(data)

        try:
            result = self.server.app(environ, start_response)
            try:
                for data in result:
                    write(data)
                if not state["sent"]:
                    write(b"")
                if state["chunked"]:
                    self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
            finally:
                close = getattr(result, "close", None)
                if close:
                    close()
        except self.server.drop_exceptions:
            self._drop()
            return
        except (ConnectionError, TimeoutError, ssl.SSLError):
            self.close_connection = True
            return
        except Exception:
            log.exception("error while serving %s %s", self.command, self.path)
            self.close_connection = True
            if not state["sent"]:
                self._plain_500()
            return
        if isinstance(stream, LimitedStream):
            stream.exhaust()  # leave the socket at the next request line

    def _send_head(self, state: dict[str, Any]) -> None:
        code_text, _, reason = str(state["status"]).partition(" ")
        code = int(code_text)
        self.send_response(code, reason)
        names = set()
        for key, value in state["headers"] or []:
            self.send_header(key, value)
            names.add(key.lower())
        if "content-length" not in names and code not in _NO_BODY and code >= 200:
            if self.request_version >= "HTTP/1.1" and self.command != "HEAD":
                state["chunked"] = True
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.close_connection = True
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        state["sent"] = True

    def _plain_500(self) -> None:
        body = b'{"status":"error","error":{"code":"INTERNAL_ERROR"}}'
        try:
            self.send_response(500)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass

    def _drop(self) -> None:
        """Close the socket without a response (for fault injection)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


class SimHTTPServer(socketserver.ThreadingMixIn, HTTPServer):
    """A threaded server that counts connections and speaks TLS per connection."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        app: WSGIApp,
        ssl_context: ssl.SSLContext | None,
        on_connection: Callable[[], None] | None = None,
        drop_exceptions: tuple[type[BaseException], ...] = (DroppedByApp,),
    ) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, KeepAliveHandler)
        self.app = app
        self.ssl_context = ssl_context
        self.on_connection = on_connection
        self.drop_exceptions = drop_exceptions
        self._active: set[socket.socket] = set()
        self._active_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        """Count the accepted connection, then hand it to a thread."""
        if self.on_connection:
            self.on_connection()
        super().process_request(request, client_address)

    def finish_request(self, request: Any, client_address: Any) -> None:
        """Do the TLS handshake in the worker thread, then serve the connection."""
        conn: socket.socket = request
        with contextlib.suppress(OSError):
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.ssl_context is not None:
            conn.settimeout(10)
            try:
                conn = self.ssl_context.wrap_socket(conn, server_side=True)
            except (ssl.SSLError, OSError):
                self._close(request)
                return
        with self._active_lock:
            self._active.add(conn)
        try:
            KeepAliveHandler(conn, client_address, self)
        except (ConnectionError, TimeoutError, ssl.SSLError):
            pass
        finally:
            with self._active_lock:
                self._active.discard(conn)
            if conn is not request:
                self._close(conn)

    @staticmethod
    def _close(conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            conn.shutdown(socket.SHUT_RDWR)
        conn.close()

    def close_all_connections(self) -> None:
        """Cut every open keep-alive connection (used when stopping)."""
        with self._active_lock:
            active = list(self._active)
        for conn in active:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log unexpected errors quietly instead of printing tracebacks."""
        log.debug("connection error from %s", client_address, exc_info=True)
