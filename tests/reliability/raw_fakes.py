"""The fake Messages and chat-completions servers, able to answer with bytes as they are: a `Raw` item in the queue
is sent instead of a well-formed reply (status 200 unless given), so malformed replies reach the real SDKs.

Requests answered with a `Raw` item are recorded in `.requests` like the others but are not checked against the
wire rules; the rest of the queue behaves as in `tests.fakes`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.chat_server import FakeChatServer
from tests.fakes.http import Answer, FakeServer
from tests.fakes.messages_server import FakeMessagesServer


@dataclass
class Raw:
    """A reply sent byte for byte."""

    body: bytes
    status: int = 200
    content_type: str = "application/json"

    @classmethod
    def json(cls, value: Any) -> Raw:
        return cls(json.dumps(value).encode())


class _RawAnswer(dict[str, Any]):
    """Carries a `Raw` through `FakeServer.handle`'s answer to the handler (which would JSON-encode a dict)."""

    def __init__(self, raw: Raw) -> None:
        super().__init__()
        self.raw = raw


def _raw_handler(base: type[BaseHTTPRequestHandler]) -> type[BaseHTTPRequestHandler]:
    class Handler(base):  # type: ignore[valid-type,misc]
        def _send(self, status: int, body: dict[str, Any], extra: dict[str, str]) -> None:
            if not isinstance(body, _RawAnswer):
                super()._send(status, body, extra)
                return
            self.send_response(body.raw.status)
            self.send_header("content-type", body.raw.content_type)
            self.send_header("content-length", str(len(body.raw.body)))
            self.end_headers()
            self.wfile.write(body.raw.body)

    return Handler


class _Raws:
    """What both servers add: answer a `Raw` at the head of the queue as it is."""

    def _take_raw(self: Any, raw: bytes) -> Answer | None:
        with self._lock:
            if not self.queue or not isinstance(self.queue[0], Raw):
                return None
            item = self.queue.pop(0)
            try:
                self.requests.append(json.loads(raw or b"null"))
            except ValueError:
                self.requests.append(None)
        return item.status, _RawAnswer(item), {}


def _install(server: FakeServer[Any]) -> None:
    server._httpd.RequestHandlerClass = _raw_handler(server._httpd.RequestHandlerClass)


class RawMessagesServer(_Raws, FakeMessagesServer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _install(self)

    def handle(self, headers: dict[str, str], raw: bytes) -> Answer:
        return self._take_raw(raw) or super().handle(headers, raw)


class RawChatServer(_Raws, FakeChatServer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _install(self)

    def handle(self, headers: dict[str, str], raw: bytes) -> Answer:
        return self._take_raw(raw) or super().handle(headers, raw)
