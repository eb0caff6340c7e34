"""The replay viewer serves this run's API and the shipped page, and nothing else."""

from __future__ import annotations

import http.client
import socket
from pathlib import Path

import pytest

from animus.inspect import server as viewer
from animus.inspect import viewer_data
from animus.inspect.server import ViewerServer, make_server

SQLITE_MAGIC = b"SQLite format 3"


def request(
    srv: ViewerServer, path: str, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request with the path sent exactly as given (http.client does not normalize it)."""
    host, port = str(srv.server_address[0]), int(srv.server_address[1])
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


TRAVERSALS = [
    "/static/../run.db",
    "/static/..%2frun.db",
    "/static/%2e%2e/run.db",
    "/static/%2e%2e%2frun.db",
    "/static/%2E%2E%2Frun.db",
    "/static/%252e%252e%252frun.db",
    "/static/..%252frun.db",
    "/static/%c0%ae%c0%ae/run.db",
    "/static/....//run.db",
    "/static/..\\run.db",
    "/static/%5c..%5crun.db",
    "/static//etc/passwd",
    "/static/%2fetc%2fpasswd",
    "/static/app.js/../../run.db",
    "/static/app.js%00",
    "/static/app.js%2f..%2f..%2frun.db",
    "/../run.db",
    "/..",
    "/%2e%2e/%2e%2e/etc/passwd",
    "//etc/passwd",
    "/run.db",
    "/run.db-wal",
    "/profile.toml",
    "/lock",
    "/etc/passwd",
    "/api/../run.db",
    "/api/frame/../../run.db",
    "/api/frame/1.png/../../../run.db",
    "/api/step/1/../../../run.db",
    "/api/step/%2e%2e",
    "/api/memory/..%2f..%2frun.db",
    "http://127.0.0.1/run.db",
    "/static/",
    "/static/APP.JS",
    "/static/server.py",
    "/static/__init__.py",
    "/static/../server.py",
    "/static/../../../pyproject.toml",
    "/api/",
    "/api/frame/-1.png",
    "/api/frame/1.jpg",
    "/api/step/01",
    "/api/step/1x",
    "/api/nothing",
    "/index.htm",
    "/favicon.ico",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_and_unknown_routes_are_404_and_never_the_database(server: ViewerServer, path: str) -> None:
    status, _, body = request(server, path)
    assert status == 404
    assert SQLITE_MAGIC not in body
    assert b"Traceback" not in body


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_methods_other_than_get_and_head_are_405(server: ViewerServer, method: str) -> None:
    for path in ("/", "/api/meta", "/static/app.js", "/static/../run.db"):
        status, headers, _ = request(server, path, method)
        assert status == 405
        assert headers["allow"] == "GET, HEAD"


def test_shipped_static_files_and_the_page_are_served(server: ViewerServer) -> None:
    for path, ctype in [
        ("/", "text/html"),
        ("/index.html", "text/html"),
        ("/static/index.html", "text/html"),
        ("/static/app.js", "text/javascript"),
        ("/static/app.css", "text/css"),
    ]:
        status, headers, body = request(server, path)
        assert status == 200, path
        assert headers["content-type"].startswith(ctype)
        assert headers["x-content-type-options"] == "nosniff"
        assert body
    status, headers, body = request(server, "/static/app.js", "HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 0


def test_binds_loopback_on_a_free_port_by_default(server: ViewerServer) -> None:
    assert server.server_address[0] == "127.0.0.1"
    assert server.server_address[1] != 0
    assert server.url == f"http://127.0.0.1:{server.server_address[1]}/"


def test_a_non_loopback_host_warns(run_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A warning of the library (animus.notify): the CLI's rendering of it on stderr is in tests/test_notify.py.
    srv = make_server(run_dir, host="0.0.0.0")
    srv.close()
    assert [r.levelname for r in caplog.records] == ["WARNING"] and "not a loopback address" in caplog.text
    caplog.clear()
    srv = make_server(run_dir, host="localhost")
    srv.close()
    assert caplog.records == []
    assert viewer.is_loopback("127.0.0.5") and viewer.is_loopback("::1") and not viewer.is_loopback("10.0.0.1")


def test_a_foreign_host_header_is_refused(server: ViewerServer) -> None:
    """DNS rebinding: a page on evil.example that resolves to 127.0.0.1 must not read the run."""
    status, _, body = request(server, "/api/meta", headers={"Host": "evil.example"})
    assert status == 403 and SQLITE_MAGIC not in body
    assert request(server, "/api/meta", headers={"Host": f"localhost:{server.server_address[1]}"})[0] == 200


def test_no_api_answer_contains_bytes_of_the_database(server: ViewerServer, run_dir: Path) -> None:
    db_head = (run_dir / "run.db").read_bytes()[:100]
    paths = ["/api/meta", "/api/steps?from=0&limit=5000", "/api/search?q=a"]
    for n in (0, 1, 5, 30):
        paths += [f"/api/step/{n}", f"/api/frame/{n}.png", f"/api/memory/{n}"]
    for path in paths:
        status, headers, body = request(server, path)
        assert status == 200, path
        assert SQLITE_MAGIC not in body and db_head not in body
        assert headers["cache-control"] == "no-store"
        assert headers["content-type"] in ("application/json; charset=utf-8", "image/png")


def test_bad_queries_and_missing_steps_are_short_errors(server: ViewerServer) -> None:
    assert request(server, "/api/steps?from=abc")[0] == 400
    assert request(server, "/api/search?q=" + "x" * 500)[0] == 400
    for path in ("/api/step/100000", "/api/frame/100000.png", "/api/memory/100000"):
        status, _, body = request(server, path)
        assert status == 404 and len(body) < 300 and b"Traceback" not in body


def test_an_error_inside_a_handler_is_a_500_and_the_server_goes_on(
    server: ViewerServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(*args: object) -> None:
        raise ValueError("secret detail /etc/shadow")

    monkeypatch.setattr(viewer_data, "step_payload", boom)
    status, headers, body = request(server, "/api/step/3")
    assert status == 500
    assert body == b"internal error\n" and headers["cache-control"] == "no-store"
    monkeypatch.undo()
    assert request(server, "/api/step/3")[0] == 200


def test_garbage_on_the_socket_does_not_stop_the_server(server: ViewerServer) -> None:
    host, port = str(server.server_address[0]), int(server.server_address[1])
    for junk in (b"\x00\xff\xfe garbage\r\n\r\n", b"GET\r\n\r\n", b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n"):
        with socket.create_connection((host, port), timeout=10) as sock:
            sock.sendall(junk)
            sock.recv(1024)
    assert request(server, "/api/meta")[0] == 200
