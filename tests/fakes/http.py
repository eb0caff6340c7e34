"""What the fake APIs share: a JSON-over-HTTP server on 127.0.0.1 in a background thread, and PNG sizes."""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Generic, TypeVar

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

Answer = tuple[int, dict[str, Any] | None, dict[str, str]]  # status, JSON body (None: drop), extra headers
Item = TypeVar("Item")


def png_tokens(data: bytes, pixels_per_token: float = 750.0) -> int | None:
    """ceil(width * height / pixels_per_token) from a PNG's IHDR chunk; None when `data` is no such PNG."""
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR" or len(data) < 24:
        return None
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return math.ceil(width * height / pixels_per_token)


class FakeServer(Generic[Item]):
    """The plumbing of a fake API. A subclass sets `PATH` (the one POST route), `URL_SUFFIX`, `REQUEST_ID`
    (header name and id prefix) and implements `handle(headers, raw)` and `not_found(path)`.

    `queue` holds the scripted items; `default(body)` answers when it is empty. Ids come from one counter per
    prefix (`msg_fake000001`). Use it as a context manager, or call `shutdown()`.
    """

    PATH = "/"
    URL_SUFFIX = ""
    REQUEST_ID = ("request-id", "req_")

    def __init__(
        self,
        replies: list[Item] | None = None,
        api_key: str | None = None,
        default: Callable[[dict[str, Any]], Item] | None = None,
    ) -> None:
        self.queue: list[Item] = list(replies or [])
        self.api_key = api_key  # None: any non-empty key is accepted
        self.default = default
        self.requests: list[Any] = []  # every parsed body, valid or not (None if not JSON)
        self.headers: list[dict[str, str]] = []  # every POST's headers, names in lower case (the subclass keeps them)
        self.responses: list[dict[str, Any]] = []  # every 200 body
        self.violations: list[str] = []
        self.delay = 0.0  # seconds each POST is held before it is answered, so that overlaps can be seen
        self.arrivals: list[float] = []  # time.time() of each POST's arrival
        self.in_flight = 0  # POSTs arrived and not yet answered
        self.max_in_flight = 0
        self._counters: dict[str, int] = {}
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}{self.URL_SUFFIX}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.01,), daemon=True)
        self._thread.start()

    def __enter__(self) -> FakeServer[Item]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    def shutdown(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def add(self, *items: Item) -> None:
        with self._lock:
            self.queue.extend(items)

    def next_id(self, prefix: str) -> str:
        self._counters[prefix] = self._counters.get(prefix, 0) + 1
        return f"{prefix}fake{self._counters[prefix]:06d}"

    def handle(self, headers: dict[str, str], raw: bytes) -> Answer:
        raise NotImplementedError

    def not_found(self, method: str, path: str) -> dict[str, Any]:
        raise NotImplementedError

    def handle_get(self, path: str) -> Answer | None:
        """The answer to `GET path`, or None for a 404."""
        return None


def _handler_for(server: FakeServer[Any]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length") or 0))
            if self.path.split("?")[0] != server.PATH:
                self._send(404, server.not_found(self.command, self.path), {})
                return
            headers = {k.lower(): v for k, v in self.headers.items()}
            with server._lock:
                server.arrivals.append(time.time())
                server.in_flight += 1
                server.max_in_flight = max(server.max_in_flight, server.in_flight)
            try:
                time.sleep(server.delay)
                status, body, extra = server.handle(headers, raw)
            finally:
                with server._lock:  # before the answer is sent: the client may send its next request at once
                    server.in_flight -= 1
            if body is None:  # dropped connection: no response at all
                self.close_connection = True
                return
            self._send(status, body, extra)

        def do_GET(self) -> None:
            answer = server.handle_get(self.path.split("?")[0])
            if answer is None:
                self._send(404, server.not_found(self.command, self.path), {})
            else:
                self._send(*answer)  # type: ignore[arg-type]

        def _send(self, status: int, body: dict[str, Any], extra: dict[str, str]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            header, prefix = server.REQUEST_ID
            with server._lock:
                self.send_header(header, server.next_id(prefix))
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler
