"""Security: no traffic beyond loopback, API keys in nothing Animus writes, and a viewer that only reads.

- **Network.** Children run with `guard/sitecustomize.py` on PYTHONPATH (written by the `guard` fixture): Python
  loads it at start-up, in every process including a fleet's spawned workers, and from then on a connection, a
  datagram or a name lookup for anything but loopback raises and is logged. The tests assert that the log stays
  empty and that every process loaded the guard.
- **Keys.** Runs, exports, charts and a fleet play with sentinel keys in the environment, against the fake APIs on
  127.0.0.1, some answering 401, with HOME, TMPDIR and the caches inside one directory. Nothing in it and nothing
  printed may hold a key, nor the middle of one (providers echo at most a key's first and last characters).
- **The viewer** (beyond `tests/inspect/test_viewer_security.py`): `animus replay` listens on 127.0.0.1 only; route
  look-alikes, encoded names, absolute URLs and foreign Host names get nothing; only GET and HEAD read.
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from animus.inspect.server import ViewerServer, make_server
from tests.agent.remote import assert_no_key
from tests.conftest import CLASSIC, CLASSIC_CONFIG, CLASSIC_ROM, animus_env

SQLITE_MAGIC = b"SQLite format 3"


def fetch(
    port: int, path: str, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request to 127.0.0.1:`port`, the path sent exactly as given (http.client does not normalize it)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


SITECUSTOMIZE = '''
"""The security tests' network guard: connections, datagrams and name lookups beyond loopback raise and are logged."""
import ipaddress
import os
import socket

_LOG = os.environ.get("ANIMUS_TEST_NET_LOG")


def _note(path, line):
    with open(path, "a", encoding="utf-8") as f:
        f.write(f"{os.getpid()} {line}\\n")


def _loopback(host):
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if host is None or host == "":
        return True  # getaddrinfo(None, port): this machine
    name = str(host).strip("[]").split("%")[0].lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _check(family, address, what):
    if family == getattr(socket, "AF_UNIX", None) or not isinstance(address, tuple):
        return
    if not _loopback(address[0]):
        _note(_LOG, f"{what} {address!r}")
        raise OSError(f"blocked by the test's network guard: {what} {address!r}")


if _LOG:
    _note(os.environ["ANIMUS_TEST_NET_LOADED"], "loaded")
    _connect, _connect_ex, _sendto = socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto
    _getaddrinfo, _gethostbyname, _create = socket.getaddrinfo, socket.gethostbyname, socket.create_connection

    def connect(self, address):
        _check(self.family, address, "connect")
        return _connect(self, address)

    def connect_ex(self, address):
        _check(self.family, address, "connect_ex")
        return _connect_ex(self, address)

    def sendto(self, data, *rest):
        _check(self.family, rest[-1], "sendto")
        return _sendto(self, data, *rest)

    def getaddrinfo(host, *args, **kwargs):
        _check(None, (host,), "getaddrinfo")
        return _getaddrinfo(host, *args, **kwargs)

    def gethostbyname(host):
        _check(None, (host,), "gethostbyname")
        return _gethostbyname(host)

    def create_connection(address, *args, **kwargs):
        _check(None, address, "create_connection")
        return _create(address, *args, **kwargs)

    socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto = connect, connect_ex, sendto
    socket.getaddrinfo, socket.gethostbyname, socket.create_connection = getaddrinfo, gethostbyname, create_connection
'''


class Guard:
    """The guard's directory and logs, and the environment that loads it."""

    def __init__(self, root: Path) -> None:
        self.dir = root / "guard"
        self.dir.mkdir()
        (self.dir / "sitecustomize.py").write_text(SITECUSTOMIZE)
        self.log = root / "net.log"
        self.loaded = root / "loaded.log"

    def env(self, **extra: str) -> dict[str, str]:
        env = animus_env()
        env["PYTHONPATH"] = os.pathsep.join([str(self.dir), *filter(None, [env.get("PYTHONPATH")])])
        env.update(ANIMUS_TEST_NET_LOG=str(self.log), ANIMUS_TEST_NET_LOADED=str(self.loaded), **extra)
        return env

    def attempts(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def pids(self) -> set[str]:
        return {line.split()[0] for line in self.loaded.read_text().splitlines()} if self.loaded.exists() else set()

    def run(self, *args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "animus", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=self.env(**env), cwd=cwd)


@pytest.fixture
def guard(tmp_path: Path) -> Guard:
    return Guard(tmp_path)


# -- no traffic beyond loopback ---------------------------------------------------------------------------------------


def test_the_guard_blocks_and_records_what_leaves_loopback(guard: Guard) -> None:
    """The control: without it, an empty log would prove nothing."""
    code = (
        "import socket\n"
        "for call in (lambda: socket.create_connection(('198.51.100.7', 80), timeout=1),\n"
        "             lambda: socket.getaddrinfo('example.com', 443),\n"
        "             lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('192.0.2.1', 53))):\n"
        "    try:\n"
        "        call()\n"
        "    except OSError as exc:\n"
        "        print(exc)\n"
        "socket.getaddrinfo('localhost', 80)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=guard.env(), timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("blocked by the test's network guard") == 3
    assert [a.split(" ", 2)[1] for a in guard.attempts()] == ["create_connection", "getaddrinfo", "sendto"]


def test_a_default_run_and_its_inspection_stay_on_loopback(guard: Guard, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    played = guard.run("run", *CLASSIC_ROM, "--steps", "40", "--runs-dir", str(runs), "--name", "r")
    assert played.returncode == 0, played.stderr
    assert "40 steps" in played.stdout
    for args in (["verify", "r"], ["chart", "r", "-o", str(tmp_path / "c.html")], ["show", "r"]):
        done = guard.run(*args, "--runs-dir", str(runs))
        assert done.returncode == 0, done.stderr
    assert guard.attempts() == []
    assert len(guard.pids()) >= 4  # each of the four commands ran with the guard


def listening_addresses(port: int) -> set[str]:
    """The local addresses of the TCP sockets listening on `port` (Linux: /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, _, state = line.split()[1:4]
            address, _, hexport = local.partition(":")
            if int(hexport, 16) == port and state == "0A":  # 0A: LISTEN
                found.add(address)
    return found


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads the listening sockets from /proc")
def test_replay_listens_on_loopback_only_and_stays_there(guard: Guard, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    assert guard.run("run", *CLASSIC_ROM, "--steps", "12", "--runs-dir", str(runs), "--name", "r").returncode == 0
    cmd = [sys.executable, "-m", "animus", "replay", "r", "--runs-dir", str(runs)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=guard.env())
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("replay viewer at http://127.0.0.1:"), line + (proc.stderr.read() if proc.poll() else "")
        port = int(line.split(":")[2].split("/")[0])
        assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1, and no other address or family
        for path in ("/", "/api/meta", "/api/steps", "/api/step/3", "/api/frame/3.png", "/api/memory/3"):
            assert fetch(port, path)[0] == 200, path
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "warning" not in err
    assert guard.attempts() == []


def test_a_fleet_and_its_workers_stay_on_loopback(guard: Guard, tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(f'steps = 20\n{CLASSIC_CONFIG}[[run]]\nlabel = "mock"\nmodel = "mock"\n')
    out = guard.run("fleet", str(plan), "--runs-dir", str(tmp_path / "fleet"), "--workers", "1")
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "fleet" / "mock-s0" / "run.db").is_file()
    assert guard.attempts() == []
    assert len(guard.pids()) >= 2  # the fleet and its spawned worker both loaded the guard


# -- keys -------------------------------------------------------------------------------------------------------------

ANTHROPIC_KEY = "sk-ant-SECURITY-SENTINEL-5d21e9"
OPENAI_KEY = "sk-proj-SECURITY-SENTINEL-8a4f03"
MODEL = "claude-fake-1"


def assert_nowhere(world: Path, outputs: list[str]) -> None:
    """Neither key, nor the middle of either, in any file under `world` or any output."""
    for key in (ANTHROPIC_KEY, OPENAI_KEY):
        assert_no_key(key, world, *outputs)
        assert_no_key(key[4:-4], world, *outputs)


def test_keys_reach_nothing_written_by_runs_exports_charts_and_fleets(guard: Guard, tmp_path: Path) -> None:
    pytest.importorskip("anthropic")
    pytest.importorskip("openai")
    from tests.fakes.chat_server import FakeChatServer
    from tests.fakes.messages_server import FakeMessagesServer

    world = tmp_path / "world"  # everything the children can write: cwd, HOME, TMPDIR, caches
    for sub in ("home", "tmp", "cache"):
        (world / sub).mkdir(parents=True)
    env = {
        "ANTHROPIC_API_KEY": ANTHROPIC_KEY,
        "OPENAI_API_KEY": OPENAI_KEY,
        "HOME": str(world / "home"),
        "TMPDIR": str(world / "tmp"),
        "XDG_CACHE_HOME": str(world / "cache"),
        "MPLCONFIGDIR": str(world / "cache" / "mpl"),
    }
    outputs: list[str] = []

    def animus(*args: str, code: int = 0) -> str:
        out = guard.run(*args, cwd=world, **env)
        outputs.extend([out.stdout, out.stderr])
        assert out.returncode == code, (args, out.stdout[-800:], out.stderr[-800:])
        assert "Traceback" not in out.stderr
        return out.stdout

    fast = ["--set", "model.retry_base_seconds=0.01", "--steps", "3"]
    with (
        FakeMessagesServer(api_key=ANTHROPIC_KEY) as claude,
        FakeMessagesServer(api_key="sk-ant-another-key") as claude_401,
        FakeChatServer(api_key="sk-proj-another-key") as chat_401,
    ):
        animus("run", *CLASSIC_ROM, "--steps", "10", "--name", "mock")
        animus(
            "run", *CLASSIC_ROM, "--model", f"anthropic:{MODEL}", "--base-url", claude.url, *fast, "--name", "claude"
        )
        refused = animus(
            "run", *CLASSIC_ROM, "--model", f"anthropic:{MODEL}", "--base-url", claude_401.url, *fast, code=1
        )
        assert "HTTP 401" in refused
        refused = animus("run", *CLASSIC_ROM, "--model", "openai:gpt-fake-1", "--base-url", chat_401.url, *fast, code=1)
        assert "HTTP 401" in refused and "Incorrect API key" in refused  # the server echoes a masked key
        plan = world / "plan.toml"
        plan.write_text(
            f'steps = 3\n{CLASSIC_CONFIG}"model.retry_base_seconds" = 0.01\n'
            f'[[run]]\nlabel = "claude"\nmodel = "anthropic:{MODEL}"\nset = {{ "model.base_url" = "{claude.url}" }}\n'
            f'[[run]]\nlabel = "gpt"\nmodel = "openai:gpt-fake-1"\nset = {{ "model.base_url" = "{chat_401.url}" }}\n'
            '[[run]]\nlabel = "mock"\nmodel = "mock"\n'
        )
        animus("fleet", str(plan), "--runs-dir", "fleet", "--workers", "2", code=1)  # gpt: 401, an error
    assert claude.requests and claude.violations == [], "the good key was sent and taken"
    assert claude_401.violations and chat_401.violations, "the sentinel keys reached the refusing servers"
    for run in ("runs/claude", "fleet/claude-s0", "fleet/gpt-s0"):
        animus("export", run, "-o", f"{run.replace('/', '-')}.jsonl")
        animus("show", run)
    animus("chart", "runs", "fleet", "-o", "chart.html", "--x", "cost", "--allow-mixed")  # remote, mock: images differ
    animus("runs")
    assert (world / "fleet" / "fleet.json").is_file() and list((world / "fleet" / ".fleet" / "logs").iterdir())
    assert_nowhere(world, outputs)
    assert guard.attempts() == []


# -- the viewer -------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def viewer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ViewerServer]:
    from animus.config import load_config
    from animus.runs.runner import start_run

    end = start_run(
        load_config(overrides={"rom": CLASSIC}, sets=("budget.steps=8",)), tmp_path_factory.mktemp("runs"), "r"
    )
    srv = make_server(end.run_dir)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.close()
    thread.join(5)


LOOK_ALIKES = [
    "/api/meta/",
    "/api/meta/run.db",
    "/api/meta;.db",
    "/api/meta%00",
    "/api/meta%2f..%2frun.db",
    "/api/%6deta",  # an encoded letter: paths are never decoded
    "/API/meta",
    "/api//meta",
    "/api/./meta",
    "/api/step/1/",
    "/api/step/1;x",
    "/api/frame/1.png/",
    "/api/frame/1.png.db",
    "/api/steps/",
    "/api/search/../meta",
    "/static",
    "/static/.",
    "/static/..",
    "/static/%2e",
    "/static/index.html/",
    "/%2e%2e/run.db",
    "/%2E%2E%2F%2E%2E%2Frun.db",
    "/..%c0%af..%c0%afrun.db",
    "http://127.0.0.1/api/meta",  # absolute URLs in the request line: not a route, even to a real one
    "http://localhost:1/static/app.js",
    "http://evil.example/api/meta",
    "//127.0.0.1/api/meta",
    "*",
]


def port(srv: ViewerServer) -> int:
    return int(srv.server_address[1])


@pytest.mark.parametrize("path", LOOK_ALIKES)
def test_route_look_alikes_get_nothing(viewer: ViewerServer, path: str) -> None:
    status, _, body = fetch(port(viewer), path)
    assert status in (400, 403, 404), (path, status)  # 403: an absolute URL names its own host
    assert SQLITE_MAGIC not in body and b"Traceback" not in body and len(body) < 200


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND", "MKCOL", "COPY", "MOVE", "LOCK", "SEARCH"])
def test_only_get_and_head_read(viewer: ViewerServer, method: str) -> None:
    status, _, body = fetch(port(viewer), "/api/meta", method)
    assert status in (405, 501), (method, status)  # 405 for HTTP's own methods, 501 for WebDAV's
    assert SQLITE_MAGIC not in body and b"Traceback" not in body
    assert b'"rom_sha256"' not in body


FOREIGN_HOSTS = ["localhost.evil.example", "127.0.0.1.nip.io", "evil.example:80", "[::2]", "0.0.0.0", "127.0.0.1@evil"]


@pytest.mark.parametrize("host", FOREIGN_HOSTS)
def test_foreign_host_names_are_refused(viewer: ViewerServer, host: str) -> None:
    status, _, body = fetch(port(viewer), "/api/meta", headers={"Host": host})
    assert status == 403 and b"rom_sha256" not in body
    assert fetch(port(viewer), "/api/meta", headers={"Host": "[::1]"})[0] == 200


def test_head_sends_no_body_and_get_of_the_api_is_json(viewer: ViewerServer) -> None:
    status, headers, body = fetch(port(viewer), "/api/meta", "HEAD")
    assert status == 200 and body == b"" and headers["content-type"].startswith("application/json")
    status, headers, body = fetch(port(viewer), "/api/meta")
    assert status == 200 and body.startswith(b"{") and headers["x-frame-options"] == "DENY"
