"""A local HTTP receiver on 127.0.0.1 for trying webhook and Slack channels (tests, benchmarks)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# Called for each POST with the request (to answer through) and its raw body.
PostHandler = Callable[[BaseHTTPRequestHandler, bytes], None]


@contextmanager
def loopback_server(handle: PostHandler, *, keep_alive: bool = False) -> Iterator[
        ThreadingHTTPServer]:
    """Serve `handle` on a free port of 127.0.0.1 in a background thread until the block ends.

    A client that stops waiting (a timeout test, a killed worker) is not an error here.
    """

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with suppress(OSError):  # the client went away before the answer
                handle(self, body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def server_url(server: ThreadingHTTPServer, path: str) -> str:
    """The http:// URL of `path` on a loopback server."""
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}{path}"
