"""The replay viewer's API against the run store, a live run, and the page in a real browser."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from animus.agent.types import Reply
from animus.config import load_config
from animus.games import GameState
from animus.inspect.frames import FrameSource
from animus.inspect.server import FrameWorker, ViewerServer, make_server, serve
from animus.memory import Notes
from animus.runs.runner import resume_run, start_run
from animus.runs.store import RunStore
from tests.conftest import CLASSIC
from tests.helpers import fetch, get

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def notes_at(store: RunStore, step: int) -> list[dict[str, str]]:
    notes = Notes(10**9)
    notes.replay(e for e in store.memory_events() if e.step <= step)
    return [{"key": k, "text": v} for k, v in notes.items()]


# -- the API -----------------------------------------------------------------------------------------------------


def test_frames_decode_and_differ_where_the_frame_hash_does(server: ViewerServer, run_dir: Path) -> None:
    with RunStore.open(run_dir) as store:
        rows = list(store.steps())
    a = rows[2]
    b = next(r for r in rows[3:] if r.frame_hash != a.frame_hash)
    same = next((r for r in rows if r.step != a.step and r.frame_hash == a.frame_hash), None)
    images = {}
    for row in (a, b) + ((same,) if same else ()):
        image = Image.open(io.BytesIO(fetch(server, f"/api/frame/{row.step}.png")))
        assert image.format == "PNG" and image.size == (160, 144)
        images[row.step] = image.convert("RGB").tobytes()
    assert images[a.step] != images[b.step]
    if same is not None:
        assert images[same.step] == images[a.step]
    # Every frame matches a FrameSource of its own, whatever order they are asked in.
    with RunStore.open(run_dir) as store, FrameSource(store) as frames:
        for step in (37, 9, 10, 11, rows[-1].step, 1):
            assert fetch(server, f"/api/frame/{step}.png") == frames.png(step)


def test_step_0_is_the_start_state_and_quick(run_dir: Path) -> None:
    """Step 0 loads the start keyframe and replays nothing (RunStore.steps(1, 0) must not mean "all steps")."""
    from animus.emulator.gameboy import GameBoy
    from animus.inspect.frames import run_rom

    with RunStore.open(run_dir) as store:
        keyframe = store.keyframe_at_or_before(0)
        start = zlib.decompress(keyframe.state)
        rom = run_rom(store.meta())
        with FrameSource(store) as frames:
            want5 = frames.png(5)
    with GameBoy(rom) as gb:
        gb.load_state(start)
        want0 = gb.frame()
    worker = FrameWorker(run_dir)
    try:
        worker.png(30)  # the emulator away from the start (frames are cached: each step is asked once)
        t0 = time.perf_counter()
        got0 = np.asarray(Image.open(io.BytesIO(worker.png(0))).convert("RGB"))
        assert time.perf_counter() - t0 < 2.0
        assert (got0 == want0).all()
        assert worker.frame_count() == keyframe.frame  # nothing was replayed after the start state
        assert worker.png(5) == want5  # and the emulator is where the source thinks it is
    finally:
        worker.close()


def test_step_details_match_the_store(server: ViewerServer, run_dir: Path) -> None:
    with RunStore.open(run_dir) as store:
        calls = list(store.calls())
        for step in (1, 2, 5, 11, 24, store.last_step()):
            row = store.step(step)
            assert row is not None
            act = next(c for c in calls if c.step == step and c.purpose == "act")
            reply = Reply.from_json(json.loads(act.reply))
            got = get(server, f"/api/step/{step}")
            assert got["step"] == step and got["actions"] == row.actions
            assert [(c["name"], c["input"]) for c in got["tool_calls"]] == [(c.name, c.input) for c in reply.tool_calls]
            results = json.loads(row.tool_results)
            assert got["tool_results"] == results
            assert [c["result"] for c in got["tool_calls"]] == [r["content"] for r in results]
            assert got["act"]["reply"]["thinking"] == [t.text for t in reply.thinking]
            assert got["act"]["reply"]["text"] == reply.text
            turn = json.loads(act.request_delta)[-1]
            assert got["observation"] == turn["text"] and f"Step {step}." in got["observation"]
            assert got["state_text"] == GameState.from_json(row.state).text
            others = [c for c in calls if c.step == step and c.purpose != "act"]
            assert [c["purpose"] for c in got["calls"]] == [c.purpose for c in others]
            assert [m["id"] for m in got["milestones"]] == [m.id for m in store.milestones() if m.step == step]
        summarized = next(c.step for c in calls if c.purpose == "summarize")
        got = get(server, f"/api/step/{summarized}")
        assert got["calls"][0]["purpose"] == "summarize" and "Current objective" in got["calls"][0]["reply"]["text"]
    start = get(server, "/api/step/0")
    assert start["step"] == 0 and start["tool_calls"] == []


def test_memory_at_each_step_is_the_notes_rebuilt_from_its_events(server: ViewerServer, run_dir: Path) -> None:
    with RunStore.open(run_dir) as store:
        events = store.memory_events()
        for step in range(store.last_step() + 1):
            got = get(server, f"/api/memory/{step}")
            assert got["notes"] == notes_at(store, step)
            summaries = [e for e in events if e.kind == "summary" and e.step <= step]
            assert got["summary"] == (summaries[-1].content if summaries else "")
    assert any(n["key"].startswith("area ") for n in get(server, "/api/memory/30")["notes"])
    assert get(server, "/api/memory/0")["notes"] == []


def test_meta_steps_and_search(server: ViewerServer, run_dir: Path) -> None:
    with RunStore.open(run_dir) as store:
        last = store.last_step()
        milestones = store.milestones()
        calls = list(store.calls())
    meta = get(server, "/api/meta")
    assert meta["last_step"] == last and meta["status"] == "done"
    assert [(m["id"], m["step"]) for m in meta["milestones"]] == [(m.id, m.step) for m in milestones]
    steps = get(server, "/api/steps?from=1")
    assert [s["step"] for s in steps["steps"]] == list(range(1, last + 1))
    assert steps["steps"][0]["inputs"] == "start"
    tail = get(server, f"/api/steps?from={last - 4}&limit=2")
    assert [s["step"] for s in tail["steps"]] == [last - 4, last - 3]
    assert [m["step"] for m in tail["milestones"]] == [m.step for m in milestones if m.step >= last - 4]
    assert get(server, f"/api/steps?from={last + 1}")["steps"] == []

    query = "ELDER"
    expected = sorted(
        {
            c.step
            for c in calls
            if any(
                query.lower() in t.lower()
                for t in [b["text"] for b in json.loads(c.reply)["thinking"]] + [json.loads(c.reply)["text"]]
            )
        }
    )
    found = get(server, "/api/search?q=" + urllib.parse.quote(query))
    assert expected and sorted({r["step"] for r in found["results"]}) == expected
    assert all(r["match"].lower() == "elder" for r in found["results"])
    assert get(server, "/api/search?q=no-such-words-anywhere")["results"] == []


def test_a_live_run_s_new_steps_appear(tmp_path: Path) -> None:
    """Steps committed by another process' connection after the viewer started show up in /api/steps."""
    config = load_config(overrides={"rom": CLASSIC, "model": "mock", "seed": 0, "budget.steps": 20})
    end = start_run(config, tmp_path, "live")
    assert end.steps == 20
    srv = make_server(end.run_dir)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        before = get(srv, "/api/steps?from=21")
        assert before["last_step"] == 20 and before["steps"] == []
        assert get(srv, "/api/memory/20")["notes"]  # warm the memory cache before new events arrive
        resumed = resume_run(end.run_dir, budget={"steps": 2000})  # the same writer code as a live run
        assert resumed.steps > 20
        after = get(srv, "/api/steps?from=21")
        assert after["last_step"] == resumed.steps
        assert [s["step"] for s in after["steps"]] == list(range(21, resumed.steps + 1))
        assert after["milestones"]  # the later milestones came with them
        assert fetch(srv, f"/api/frame/{resumed.steps}.png").startswith(b"\x89PNG")
        with RunStore.open(end.run_dir) as store:
            assert get(srv, f"/api/memory/{resumed.steps}")["notes"] == notes_at(store, resumed.steps)
    finally:
        srv.shutdown()
        srv.close()
        thread.join(5)


def test_serve_calls_ready_and_returns_on_ctrl_c(run_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    urls: list[str] = []

    def interrupted(self: ViewerServer, poll_interval: float = 0.5) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(ViewerServer, "serve_forever", interrupted)
    serve(run_dir, ready=urls.append)  # returns normally: the CLI exits 0
    assert len(urls) == 1 and urls[0].startswith("http://127.0.0.1:")


def test_serve_exits_0_on_sigterm(run_dir: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from animus.inspect.server import serve; "
        "serve(Path(sys.argv[1]), ready=lambda url: print(url, flush=True))"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(run_dir)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url + "api/meta", timeout=30) as response:
            assert json.loads(response.read())["status"] == "done"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# -- the page in a browser -----------------------------------------------------------------------------------------


def wait_until(page: Any, expression: str, timeout: float = 15.0) -> None:
    """Poll a JS expression from Python: the page's CSP forbids the eval that `wait_for_function` polls with."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(50)


def test_the_page_steps_jumps_and_shows_memory(server: ViewerServer, run_dir: Path, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    with RunStore.open(run_dir) as store:
        milestones = store.milestones()
        acts = {c.step: Reply.from_json(json.loads(c.reply)) for c in store.calls("act")}

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(server.url)
            page.wait_for_selector("#step-details[data-step='0']")
            wait_until(page, "document.getElementById('frame').naturalWidth > 0")

            for _ in range(3):
                page.keyboard.press("ArrowRight")
            page.wait_for_selector("#step-details[data-step='3']")
            assert page.inner_text("#step-number") == "3"
            assert acts[3].thinking[0].text.split(".")[0] in page.inner_text("#thinking")
            tool_text = page.inner_text("#tool-calls")
            for call in acts[3].tool_calls:
                assert call.name in tool_text
            page.keyboard.press("ArrowLeft")
            page.wait_for_selector("#step-details[data-step='2']")

            target = milestones[2]  # found the key, mid-game
            page.click(f".milestone-marker[data-id='{target.id}']")
            page.wait_for_selector(f"#step-details[data-step='{target.step}']")
            assert page.inner_text("#step-number") == str(target.step)
            page.wait_for_selector(f"#frame[data-step='{target.step}']")
            src = page.get_attribute("#frame", "src") or ""
            assert src.endswith(f"/api/frame/{target.step}.png")
            assert page.evaluate("document.getElementById('frame').naturalWidth") == 160
            page.wait_for_selector(f"#notes[data-step='{target.step}']")
            keys = page.locator("#notes dt").all_inner_texts()
            assert any(k.startswith("area ") for k in keys)
            with RunStore.open(run_dir) as store:
                assert keys == [n["key"] for n in notes_at(store, target.step)]

            page.fill("#search", "elder")
            page.press("#search", "Enter")
            page.wait_for_selector(".search-result")
            hit = int(page.get_attribute(".search-result >> nth=0", "data-step") or "-1")
            page.click(".search-result >> nth=0")
            page.wait_for_selector(f"#step-details[data-step='{hit}']")

            page.select_option("#speed", "16")
            page.click("#btn-play")
            wait_until(page, f"Number(document.getElementById('step-number').textContent) >= {hit + 3}")
            page.click("#btn-play")

            shot = tmp_path / "viewer.png"
            page.screenshot(path=str(shot))
            assert shot.read_bytes().startswith(b"\x89PNG")
            assert errors == []
        finally:
            browser.close()
