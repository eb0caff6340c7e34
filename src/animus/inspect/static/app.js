// Animus replay viewer: vanilla JS, no libraries, talks only to this server's /api routes.
// All run data goes into the page through textContent, never innerHTML.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const WATCHDOG_LABELS = {
    stuck_warn: "warning",
    stuck_reflect: "forced reflection",
    stuck_stuck: "stuck",
    reflection: "reflection",
  };

  const state = {
    last: 0,            // last committed step
    current: 0,         // step shown
    status: "",
    playing: false,
    timer: null,
    milestones: new Map(),  // id -> milestone
    watchdog: new Map(),    // event id -> event
    frameWanted: 0,
    frameLoading: false,
    detailSeq: 0,
    memorySeq: 0,
    mapSeq: 0,
    map: null,          // the explored map shown (map.js draws it)
  };

  // -- small helpers ------------------------------------------------------------------------------------------

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    if (props) {
      for (const [key, value] of Object.entries(props)) {
        if (key === "class") node.className = value;
        else if (key === "text") node.textContent = value;
        else if (key === "dataset") Object.assign(node.dataset, value);
        else if (key === "left") node.style.left = value;  // CSSOM, not a style attribute: the CSP allows it
        else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
        else node.setAttribute(key, value);
      }
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  async function getJSON(url) {
    const response = await fetch(url, { cache: "no-store" });
    if (!response.ok) throw new Error(`${url}: ${response.status} ${(await response.text()).trim()}`);
    return response.json();
  }

  function fmtInt(n) {
    return Number(n || 0).toLocaleString("en-US");
  }

  function fmtCost(c) {
    if (c === null || c === undefined) return "cost unknown (no price)";
    return "$" + Number(c).toFixed(c && c < 0.01 ? 5 : 4);
  }

  function toast(message) {
    const node = $("toast");
    node.textContent = message;
    node.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { node.hidden = true; }, 4000);
  }

  function pct(step) {
    return state.last > 0 ? (100 * step) / state.last : 0;
  }

  // -- run meta, markers, lists -------------------------------------------------------------------------------

  function setStatus(status) {
    state.status = status || "";
    const node = $("run-status");
    node.textContent = state.status;
    node.className = "status status-" + state.status;
  }

  function setLast(last) {
    state.last = last;
    $("last-step").textContent = fmtInt(last);
    $("scrubber").max = String(last);
  }

  function addMarkers(milestones, watchdog) {
    for (const m of milestones || []) state.milestones.set(m.id, m);
    for (const e of watchdog || []) state.watchdog.set(e.id, e);
    renderMarkers();
  }

  function renderMarkers() {
    const bar = $("markers");
    bar.replaceChildren();
    const list = $("milestones");
    list.replaceChildren();
    const milestones = [...state.milestones.values()].sort((a, b) => a.step - b.step || a.ordinal - b.ordinal);
    for (const m of milestones) {
      bar.append(el("button", {
        class: "milestone-marker",
        type: "button",
        title: `${m.label}: step ${m.step}`,
        left: `${pct(m.step)}%`,
        dataset: { step: String(m.step), id: m.id },
        onclick: () => goTo(m.step),
      }));
      list.append(el("li", { dataset: { step: String(m.step) }, onclick: () => goTo(m.step) },
        el("span", { class: "step-link", text: `step ${fmtInt(m.step)}` }),
        ` ${m.label}`,
        el("span", { class: "muted", text: ` · ${fmtInt(m.actions)} actions` })));
    }
    if (!milestones.length) list.append(el("li", { class: "muted", text: "none reached" }));

    // Watchdog events: one marker per position (a long run can have thousands), every event in the list.
    const wbar = $("watchdog-markers");
    wbar.replaceChildren();
    const wlist = $("watchdog");
    wlist.replaceChildren();
    const events = [...state.watchdog.values()].sort((a, b) => a.step - b.step || a.id - b.id);
    const seen = new Set();
    for (const e of events) {
      const slot = Math.round(pct(e.step) * 5);
      if (!seen.has(slot)) {
        seen.add(slot);
        wbar.append(el("button", {
          class: `watchdog-marker kind-${e.kind}`,
          type: "button",
          title: `${WATCHDOG_LABELS[e.kind] || e.kind} (${e.key || ""}): step ${e.step}`,
          left: `${pct(e.step)}%`,
          dataset: { step: String(e.step) },
          onclick: () => goTo(e.step),
        }));
      }
    }
    const shown = events.slice(-500);
    if (events.length > shown.length) {
      wlist.append(el("li", { class: "muted", text: `${events.length - shown.length} earlier events not listed` }));
    }
    for (const e of shown) {
      wlist.append(el("li", { class: `kind-${e.kind}`, dataset: { step: String(e.step) }, onclick: () => goTo(e.step) },
        el("span", { class: "step-link", text: `step ${fmtInt(e.step)}` }),
        ` ${WATCHDOG_LABELS[e.kind] || e.kind}`,
        e.key ? el("span", { class: "muted", text: ` (${e.key})` }) : null,
        el("div", { class: "event-text", text: e.content })));
    }
    if (!events.length) wlist.append(el("li", { class: "muted", text: "no watchdog events" }));
  }

  // -- moving around --------------------------------------------------------------------------------------------

  function goTo(step) {
    step = Math.max(0, Math.min(state.last, Math.round(Number(step) || 0)));
    state.current = step;
    $("step-number").textContent = String(step);
    $("scrubber").value = String(step);
    if (history.replaceState) history.replaceState(null, "", `#step=${step}`);
    requestFrame(step);
    loadDetails(step);
    loadMemory(step);
    loadMap(step);
  }

  // The newest wanted frame wins: while one loads, later requests only update what is wanted next.
  function requestFrame(step) {
    state.frameWanted = step;
    if (!state.frameLoading) loadFrame();
  }

  function loadFrame() {
    const step = state.frameWanted;
    const img = $("frame");
    state.frameLoading = true;
    img.dataset.pending = String(step);
    img.onload = () => {
      img.dataset.step = String(step);
      $("frame-error").hidden = true;
      frameDone(step);
    };
    img.onerror = () => {
      $("frame-error").textContent = `no frame for step ${step}`;
      $("frame-error").hidden = false;
      frameDone(step);
    };
    img.src = `/api/frame/${step}.png`;
  }

  function frameDone(step) {
    state.frameLoading = false;
    if (state.frameWanted !== step) loadFrame();
  }

  async function loadDetails(step) {
    const seq = ++state.detailSeq;
    let detail;
    try {
      detail = await getJSON(`/api/step/${step}`);
    } catch (err) {
      if (seq === state.detailSeq) toast(String(err.message || err));
      return;
    }
    if (seq !== state.detailSeq) return;  // a newer step was asked for meanwhile
    renderDetails(detail);
  }

  // The fork this step was played in (best-of-N runs): every branch's score; what the unchosen ones did.
  function renderFork(fork) {
    const box = $("fork-box");
    const list = $("fork-branches");
    list.replaceChildren();
    box.hidden = !fork;
    if (!fork) return;
    $("fork-title").textContent = `after step ${fork.fork_step} · ${fork.branches.length} branches`;
    for (const b of fork.branches) {
      const head = `branch ${b.branch}${b.chosen ? " (chosen)" : ""} · score ${JSON.stringify(b.score)} · ` +
        `${b.actions} actions · ${b.milestones.length} milestones · ${b.status}`;
      const item = el("li", { class: b.chosen ? "tool-call branch-chosen" : "tool-call" }, el("b", { text: head }));
      for (const p of b.played) item.append(el("div", { class: "result", text: `${p.step}: ${p.inputs} — ${p.text}` }));
      list.append(item);
    }
  }

  async function loadMemory(step) {
    const seq = ++state.memorySeq;
    let memory;
    try {
      memory = await getJSON(`/api/memory/${step}`);
    } catch (err) {
      return;
    }
    if (seq !== state.memorySeq) return;
    renderMemory(memory);
  }

  // -- rendering a step -------------------------------------------------------------------------------------------

  function fact(label, value) {
    return el("span", { class: "fact" }, el("span", { class: "fact-label", text: label }), " ", el("b", { text: value }));
  }

  function renderDetails(d) {
    $("detail-step").textContent = String(d.step);
    const badges = $("step-badges");
    badges.replaceChildren();
    for (const m of d.milestones || []) badges.append(el("span", { class: "badge badge-milestone", text: `★ ${m.label}` }));
    for (const e of d.events || []) {
      if (WATCHDOG_LABELS[e.kind]) badges.append(el("span", { class: "badge badge-watchdog", text: WATCHDOG_LABELS[e.kind] }));
    }

    const facts = $("step-facts");
    facts.replaceChildren();
    if (d.start) {
      facts.append(el("span", { class: "muted", text: "The start state, before the first step." }));
    } else {
      facts.append(
        fact("actions", fmtInt(d.actions)),
        fact("this step", String(d.step_actions)),
        fact("inputs", d.inputs || "none"),
        fact("frames", `${fmtInt(d.frame_start)}–${fmtInt(d.frame_end)}`),
      );
      if (d.bad_calls) facts.append(fact("bad calls", String(d.bad_calls)));
    }

    const act = d.act;
    const thinking = $("thinking");
    thinking.replaceChildren();
    const blocks = act ? act.reply.thinking : [];
    if (!blocks.length) thinking.append(el("span", { class: "muted", text: d.start ? "—" : "no thinking" }));
    for (const t of blocks) thinking.append(el("p", { class: "thinking-block", text: t }));

    $("reply-text").textContent = act && act.reply.text ? act.reply.text : "—";

    const calls = $("tool-calls");
    calls.replaceChildren();
    for (const c of d.tool_calls || []) {
      calls.append(el("li", { class: c.is_error ? "tool-call error" : "tool-call" },
        el("code", { class: "call", text: `${c.name}(${JSON.stringify(c.input)})` }),
        el("div", { class: "result", text: c.result === null ? "(no result)" : `→ ${c.result}` })));
    }
    if (!(d.tool_calls || []).length) calls.append(el("li", { class: "muted", text: "no tool calls" }));

    const usage = $("usage");
    usage.replaceChildren();
    if (act) {
      const u = act.usage;
      usage.append(
        fact("input", fmtInt(u.input_tokens)),
        fact("output", fmtInt(u.output_tokens)),
        fact("cache write", fmtInt(u.cache_write_tokens)),
        fact("cache read", fmtInt(u.cache_read_tokens)),
        fact("context (est.)", fmtInt(u.context_tokens)),
        fact("cost", fmtCost(d.cost)),
        fact("latency", `${(act.latency_seconds * 1000).toFixed(1)} ms`),
        fact("model", act.reply.model || "?"),
      );
    } else {
      usage.append(el("span", { class: "muted", text: "—" }));
    }

    const others = $("other-calls");
    others.replaceChildren();
    for (const c of d.calls || []) {
      const box = el("details", { class: `other-call purpose-${c.purpose}` },
        el("summary", { text: `${c.purpose} call · ${fmtInt(c.usage.input_tokens)} in / ${fmtInt(c.usage.output_tokens)} out · ${fmtCost(c.cost)}` }));
      for (const t of c.reply.thinking) box.append(el("p", { class: "thinking-block", text: t }));
      box.append(el("pre", { text: c.reply.text }));
      others.append(box);
    }

    renderFork(d.fork);
    $("observation").textContent = d.observation || (d.start ? "—" : "(no observation stored)");
    $("state-text").textContent = d.state_text || "";
    if (d.last_step > state.last) setLast(d.last_step);
    $("step-details").dataset.step = String(d.step);
  }

  function renderMemory(m) {
    const notes = $("notes");
    notes.replaceChildren();
    const changed = new Set(m.changed || []);
    for (const n of m.notes) {
      const cls = changed.has(n.key) ? "note changed" : "note";
      notes.append(el("dt", { class: cls, text: n.key }), el("dd", { class: cls, text: n.text || "(empty)" }));
    }
    if (!m.notes.length) notes.append(el("dd", { class: "muted", text: "no notes yet" }));
    $("notes-count").textContent = m.notes.length ? `(${m.notes.length})` : "";
    notes.dataset.step = String(m.step);
    $("summary").textContent = m.summary || "no summary yet";
    $("summary-step").textContent = m.summary_step === null ? "" : `(written at step ${m.summary_step})`;
  }

  // -- the explored map ------------------------------------------------------------------------------------------

  async function loadMap(step) {
    const seq = ++state.mapSeq;
    let map;
    try {
      map = await getJSON(`/api/map/${step}`);
    } catch (err) {
      return;
    }
    if (seq !== state.mapSeq) return;
    state.map = map;
    AnimusMap.render(map);
  }

  // -- playing ------------------------------------------------------------------------------------------------------

  function setPlaying(on) {
    state.playing = on;
    clearInterval(state.timer);
    state.timer = null;
    $("btn-play").textContent = on ? "⏸ pause" : "▶ play";
    if (on) {
      if (state.current >= state.last && state.status !== "running") goTo(0);
      const speed = Number($("speed").value) || 4;
      state.timer = setInterval(tick, 1000 / speed);
    }
  }

  function tick() {
    if (state.current < state.last) goTo(state.current + 1);
    else if (state.status !== "running") setPlaying(false);  // a live run: wait for the next step
  }

  // -- live runs ------------------------------------------------------------------------------------------------------

  async function poll() {
    try {
      const data = await getJSON(`/api/steps?from=${state.last + 1}&limit=0`);
      const atEnd = state.current === state.last;
      setStatus(data.status);
      if (data.last_step !== state.last) {
        setLast(data.last_step);
        addMarkers(data.milestones, data.watchdog);
        if ($("follow").checked && atEnd && !state.playing) goTo(data.last_step);
      } else if ((data.milestones || []).length || (data.watchdog || []).length) {
        addMarkers(data.milestones, data.watchdog);
      }
    } catch (err) {
      // the server may be restarting: try again later
    }
    setTimeout(poll, state.status === "running" ? 1000 : 5000);
  }

  // -- search ---------------------------------------------------------------------------------------------------------

  async function search(event) {
    event.preventDefault();
    const q = $("search").value.trim();
    const list = $("search-results");
    list.replaceChildren();
    if (!q) { $("search-info").textContent = ""; return; }
    $("search-info").textContent = "searching…";
    let data;
    try {
      data = await getJSON(`/api/search?q=${encodeURIComponent(q)}`);
    } catch (err) {
      $("search-info").textContent = String(err.message || err);
      return;
    }
    const n = data.results.length;
    $("search-info").textContent = n ? `${n}${data.truncated ? "+" : ""} match${n === 1 ? "" : "es"}` : "no match";
    for (const r of data.results) {
      list.append(el("li", { class: "search-result", dataset: { step: String(r.step) }, onclick: () => goTo(r.step) },
        el("span", { class: "step-link", text: `step ${fmtInt(r.step)}` }),
        el("span", { class: "muted", text: ` ${r.purpose} ${r.where} ` }),
        el("div", { class: "snippet" }, r.before, el("mark", { text: r.match }), r.after)));
    }
  }

  // -- wiring ---------------------------------------------------------------------------------------------------------

  function onKey(event) {
    const tag = (event.target && event.target.tagName) || "";
    if (tag === "INPUT" && event.target.type !== "range" || tag === "TEXTAREA" || tag === "SELECT") return;
    const big = event.shiftKey ? 10 : 1;
    if (event.key === "ArrowRight") goTo(state.current + big);
    else if (event.key === "ArrowLeft") goTo(state.current - big);
    else if (event.key === "Home") goTo(0);
    else if (event.key === "End") goTo(state.last);
    else if (event.key === " ") setPlaying(!state.playing);
    else return;
    event.preventDefault();
  }

  async function start() {
    $("btn-first").addEventListener("click", () => goTo(0));
    $("btn-prev").addEventListener("click", () => goTo(state.current - 1));
    $("btn-next").addEventListener("click", () => goTo(state.current + 1));
    $("btn-last").addEventListener("click", () => goTo(state.last));
    $("btn-play").addEventListener("click", () => setPlaying(!state.playing));
    $("speed").addEventListener("change", () => { if (state.playing) setPlaying(true); });
    $("scrubber").addEventListener("input", (e) => goTo(e.target.value));
    $("search-form").addEventListener("submit", search);
    $("map-canvas").addEventListener("mousemove", (e) => AnimusMap.hover(state.map, e));
    document.addEventListener("keydown", onKey);

    let meta;
    try {
      meta = await getJSON("/api/meta");
    } catch (err) {
      $("run-title").textContent = "cannot read the run: " + String(err.message || err);
      return;
    }
    document.title = `Animus replay · ${meta.id}`;
    $("run-title").textContent =
      `${meta.id} · ${meta.profile_name || meta.rom_title || "?"} · model ${meta.model} · ` +
      `${meta.milestones.length}/${meta.milestone_count ?? "?"} milestones · ${fmtInt(meta.totals.tokens)} tokens · ${fmtCost(meta.totals.cost)}` +
      (meta.parent ? ` · fork of ${meta.parent.run} after step ${meta.parent.step}` : "");
    setStatus(meta.status);
    setLast(meta.last_step);
    $("follow").checked = meta.status === "running";
    addMarkers(meta.milestones, meta.watchdog);
    const match = /step=(\d+)/.exec(location.hash);
    goTo(match ? Number(match[1]) : 0);
    setTimeout(poll, 1000);
  }

  start();
})();
