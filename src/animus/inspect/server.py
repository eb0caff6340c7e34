"""`animus replay RUN`: a local web viewer for one run, on the standard library's `http.server`.

Contracts:
- It serves this run's data and the shipped static page, nothing else. Routes are matched on the raw request
  path against a fixed table: `/`, `/static/<name>` for the names in `STATIC` only, and the `/api/...` routes
  below. No filesystem path is ever built from a URL, and percent-escapes are never decoded in the path, so
  `..`, `%2e%2e`, `%2f`, double encodings and absolute paths can only reach the 404 answer. The run's files
  (run.db and the rest) are never served; the API reads them through `RunReader`, read-only.
- GET and HEAD only; every other method gets 405. An error inside a handler answers 500 (or 404 for a step the
  run does not have) with one short line, never a traceback, and the server goes on.
- It binds 127.0.0.1 on a free port by default. On a loopback address it also refuses requests whose Host header
  is not a loopback name, so a web page elsewhere cannot reach it through DNS rebinding. Any other host gets a
  warning (`animus.notify`; the CLI shows it on stderr): the viewer has no authentication.
- Each API request opens its own read-only store (sqlite3 connections belong to one thread), so a live run's new
  commits show up at once (WAL readers see them). API answers carry `Cache-Control: no-store`.
- Frames come from ONE `FrameSource`, owned by one worker thread that serves frame requests in turn: that is the
  lock that serializes the emulator, and its sqlite connection never changes threads.

API: `/api/meta`, `/api/steps?from=N&limit=L`, `/api/step/N`, `/api/frame/N.png`, `/api/memory/N`,
`/api/map/N`, `/api/search?q=TEXT`. See `viewer_data.py` for what each returns, and `viewer_map.py` for the
explored map (folded from the steps' map deltas, cached on the server: `ViewerServer.maps`).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import re
import signal
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from animus import notify
from animus.errors import RunError
from animus.inspect import viewer_data as data
from animus.inspect import viewer_map
from animus.inspect.frames import FrameSource, run_rom
from animus.runs.reader import RunReader

# The shipped static files: URL name -> content type. Nothing outside this table is ever served.
STATIC: dict[str, str] = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "map.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
}
FRAME_TIMEOUT = 60.0  # seconds a request waits for its frame before giving up (500)
MAX_STEP_DIGITS = 12

_NUM = rf"(0|[1-9][0-9]{{0,{MAX_STEP_DIGITS - 1}}})"
_ROUTES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"/(?:index\.html)?"), "index"),
    (re.compile(r"/static/([A-Za-z0-9_.-]{1,64})"), "static"),
    (re.compile(r"/api/meta"), "meta"),
    (re.compile(r"/api/steps"), "steps"),
    (re.compile(rf"/api/step/{_NUM}"), "step"),
    (re.compile(rf"/api/frame/{_NUM}\.png"), "frame"),
    (re.compile(rf"/api/memory/{_NUM}"), "memory"),
    (re.compile(rf"/api/map/{_NUM}"), "map"),
    (re.compile(r"/api/search"), "search"),
]
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"
    ),
}


class HttpError(Exception):
    """An answer other than 200, with a short message for the client."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def is_loopback(host: str) -> bool:
    """True for `localhost` and loopback IP addresses (127.0.0.0/8, ::1)."""
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class FrameWorker:
    """One `FrameSource` on one thread: frame requests from any thread are served in turn.

    The source is opened on the worker thread when the worker starts (booting PyBoy takes a moment), so the
    first frame request rarely waits for it.
    """

    def __init__(self, run_dir: Path, rom: Path | None = None) -> None:
        self._run_dir = run_dir
        self._rom = rom
        self._source: FrameSource | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="animus-replay-frames")
        self._closed = False
        self._pool.submit(self._open)

    def _open(self) -> FrameSource:
        if self._source is None:
            store = RunReader.open(self._run_dir)
            try:
                self._source = FrameSource(store, self._rom)
            except BaseException:
                store.close()
                raise
        return self._source

    def _png(self, step: int, scale: int) -> bytes:
        if self._closed:  # queued before the close: answer nothing, so that the close comes soon
            raise RunError("the replay viewer is closing")
        return self._open().png(step, scale)

    def png(self, step: int, scale: int = 1, timeout: float = FRAME_TIMEOUT) -> bytes:
        """The frame after `step` as PNG. Raises `RunError` for a step the run does not have."""
        return self._pool.submit(self._png, step, scale).result(timeout)

    def frame_count(self, timeout: float = FRAME_TIMEOUT) -> int:
        """Where the emulator stands (its frame count): for tests and diagnostics."""
        return self._pool.submit(lambda: self._open().gameboy.frame_count).result(timeout)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        # Not cancel_futures: that would cancel the close itself, leaving the store open (and its -wal and -shm
        # files in the run). Frame requests still queued end at once (see `_png`); the close runs last.
        self._pool.submit(self._close)
        self._pool.shutdown(wait=True)

    def _close(self) -> None:
        if self._source is not None:
            store = self._source.store
            self._source.close()
            store.close()
            self._source = None


class ViewerServer(ThreadingHTTPServer):
    """The viewer's HTTP server for one run. `url` is where it listens; `close()` stops everything."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, run_dir: Path, host: str, port: int, rom: Path | None = None) -> None:
        self.run_dir = run_dir
        self.loopback = is_loopback(host)
        self.memory = data.MemoryLog()
        self.maps = viewer_map.MapFolds(run_dir)
        if ":" in host.strip("[]"):
            self.address_family = socket.AF_INET6
        super().__init__((host.strip("[]"), port), ViewerHandler)
        self.frames = FrameWorker(run_dir, rom)
        self._closed = False

    @property
    def url(self) -> str:
        host, port = str(self.server_address[0]), int(self.server_address[1])
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/"

    def close(self) -> None:
        """Stop the frame worker and close the socket. Call `shutdown()` first if `serve_forever` runs."""
        if self._closed:
            return
        self._closed = True
        self.frames.close()
        self.server_close()


def make_server(run_dir: Path, host: str = "127.0.0.1", port: int = 0, rom: str | Path | None = None) -> ViewerServer:
    """A viewer for the run at `run_dir`, bound and ready; run it with `serve_forever()`.

    Checks the run and its ROM first: a missing or unreadable run, or a ROM that cannot be found, is a `RunError`
    (pass `rom` for a ROM that moved). Stop it with `shutdown()` (from another thread) and then `close()`.
    """
    run_dir = Path(run_dir)
    with RunReader.open(run_dir) as store:
        rom_path = run_rom(store.meta(), rom)
    try:
        server = ViewerServer(run_dir, host, port, rom_path)
    except OSError as exc:
        raise RunError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}): check --host (an address of this machine), or "
            "pick another --port."
        ) from None
    if not is_loopback(host):  # once it listens: a host it cannot bind gets the error alone
        notify.warn(
            f"serving on {host}, not a loopback address: anyone who can reach it can read this run "
            "(the viewer has no authentication).",
            __name__,
            prefix="warning: ",  # the line users have always seen (not "animus: warning: ")
        )
    return server


def serve(
    run_dir: Path,
    host: str = "127.0.0.1",
    port: int = 0,
    ready: Callable[[str], None] | None = None,
    rom: str | Path | None = None,
) -> None:
    """Serve the viewer until Ctrl-C (or SIGTERM), then return normally. `ready(url)` is called once it listens.

    Without `ready`, the URL is printed on stdout: it is what this call exists to tell, not a message (see
    `animus.notify`). It opens no browser.
    """
    server = make_server(run_dir, host, port, rom)
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _interrupt)  # `kill` ends it as cleanly as Ctrl-C does
    try:
        if ready is not None:
            ready(server.url)
        else:
            print(f"replay viewer at {server.url} (Ctrl-C to stop)", flush=True)
        server.serve_forever(poll_interval=0.25)
    except KeyboardInterrupt:
        pass
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        server.close()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


class ViewerHandler(BaseHTTPRequestHandler):
    server: ViewerServer
    server_version = "animus-replay"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    timeout = 60  # seconds an idle keep-alive connection may hold its thread
    # TCP_NODELAY: the headers and the body go out as two writes, and with Nagle's algorithm the body waits for
    # the client's delayed ACK of the headers (up to 40 ms) when they are not sent together.
    disable_nagle_algorithm = True

    # -- methods -------------------------------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def _refuse(self) -> None:
        self._send(
            HTTPStatus.METHOD_NOT_ALLOWED,
            b"method not allowed\n",
            "text/plain; charset=utf-8",
            extra={"Allow": "GET, HEAD"},
        )

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = _refuse

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the page polls every second: logging each request would drown the terminal

    # -- dispatch ------------------------------------------------------------------------------------------------

    def _answer(self, head: bool) -> None:
        try:
            status, body, ctype = self._route()
        except HttpError as exc:
            status, body, ctype = exc.status, (exc.message + "\n").encode(), "text/plain; charset=utf-8"
        except RunError as exc:
            status, body, ctype = HTTPStatus.NOT_FOUND, (str(exc) + "\n").encode(), "text/plain; charset=utf-8"
        except (BrokenPipeError, ConnectionResetError):
            return
        except Exception as exc:  # a bug or a damaged run must not stop the server, nor leak a traceback
            problem = f"error answering {self.path[:200]!r}: {type(exc).__name__}: {exc}"
            notify.warn(problem, __name__, prefix="replay: ")
            status, body, ctype = HTTPStatus.INTERNAL_SERVER_ERROR, b"internal error\n", "text/plain; charset=utf-8"
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._send(status, body, ctype, head=head)

    def _send(
        self,
        status: HTTPStatus,
        body: bytes,
        ctype: str,
        head: bool = False,
        extra: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in {**_SECURITY_HEADERS, **(extra or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _route(self) -> tuple[HTTPStatus, bytes, str]:
        if self.server.loopback and not self._host_ok():
            raise HttpError(HTTPStatus.FORBIDDEN, "forbidden: the viewer answers only to localhost")
        raw, _, query = self.path.partition("?")
        for pattern, name in _ROUTES:
            match = pattern.fullmatch(raw)
            if match is not None:
                return self._dispatch(name, match.groups(), parse_qs(query, max_num_fields=20))
        raise HttpError(HTTPStatus.NOT_FOUND, "not found")

    def _host_ok(self) -> bool:
        """True when the Host header names a loopback host (or is absent, as from an HTTP/1.0 client)."""
        host = self.headers.get("Host", "").strip()
        if not host:
            return True
        if host.startswith("["):
            name = host[1 : host.find("]")] if "]" in host else host
        elif host.count(":") == 1:
            name = host.split(":", 1)[0]
        else:
            name = host
        return is_loopback(name)

    def _dispatch(
        self, name: str, groups: tuple[str | Any, ...], query: dict[str, list[str]]
    ) -> tuple[HTTPStatus, bytes, str]:
        if name == "index":
            return HTTPStatus.OK, _static("index.html"), STATIC["index.html"]
        if name == "static":
            file = str(groups[0])
            if file not in STATIC:
                raise HttpError(HTTPStatus.NOT_FOUND, "not found")
            return HTTPStatus.OK, _static(file), STATIC[file]
        if name == "frame":
            png = self.server.frames.png(int(groups[0]))
            return HTTPStatus.OK, png, "image/png"
        with RunReader.open(self.server.run_dir) as store:
            log = self.server.memory
            log.refresh(store)
            payload: Any
            if name == "meta":
                payload = data.meta_payload(store, log)
            elif name == "steps":
                payload = data.steps_payload(store, log, _int(query, "from", 1), _int(query, "limit", 1000))
            elif name == "step":
                payload = data.step_payload(store, log, int(groups[0]))
                if payload is None:
                    raise HttpError(HTTPStatus.NOT_FOUND, f"step {groups[0]} is not in this run")
            elif name in ("memory", "map"):
                step = int(groups[0])
                if step > store.last_step():
                    raise HttpError(HTTPStatus.NOT_FOUND, f"step {step} is not in this run")
                payload = data.memory_payload(log, step) if name == "memory" else self.server.maps.payload(store, step)
            elif name == "search":
                payload = data.search_payload(store, _str(query, "q"))
            else:  # pragma: no cover - every route name is handled above
                raise HttpError(HTTPStatus.NOT_FOUND, "not found")
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        return HTTPStatus.OK, body, "application/json; charset=utf-8"


def _static(name: str) -> bytes:
    """A shipped static file, by its name in the fixed `STATIC` table (never a path from the URL)."""
    if name not in STATIC:
        raise HttpError(HTTPStatus.NOT_FOUND, "not found")
    return files("animus.inspect").joinpath("static", name).read_bytes()


def _int(query: dict[str, list[str]], key: str, default: int) -> int:
    values = query.get(key)
    if not values:
        return default
    value = values[-1]
    if not re.fullmatch(r"-?[0-9]{1,12}", value):
        raise HttpError(HTTPStatus.BAD_REQUEST, f"{key} must be an integer")
    return int(value)


def _str(query: dict[str, list[str]], key: str, max_len: int = 200) -> str:
    values = query.get(key)
    if not values:
        return ""
    value = values[-1]
    if len(value) > max_len:
        raise HttpError(HTTPStatus.BAD_REQUEST, f"{key} is longer than {max_len} characters")
    return value


__all__ = ["STATIC", "FrameWorker", "ViewerServer", "is_loopback", "make_server", "serve"]
