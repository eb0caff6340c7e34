// Animus replay viewer: the explored map panel (a canvas of the cells, the warps, the minimap text).
// app.js fetches /api/map/N and calls AnimusMap.render; all run data goes in through textContent or the canvas.
"use strict";

const AnimusMap = (function () {
  const $ = (id) => document.getElementById(id);

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(key, value);
    }
    for (const child of children) node.append(child instanceof Node ? child : String(child));
    return node;
  }

  function fmtInt(n) {
    return Number(n || 0).toLocaleString("en-US");
  }

  const CELL_COLORS = { v: "#6fd08c", ".": "#3f5f4b", "#": "#5b606c", "*": "#f2c14e", "?": "#2a2e37" };
  const CELL_NAMES = { v: "stood on", ".": "walkable", "#": "blocked", "*": "a way out not taken yet", "?": "not seen yet" };
  const WARP_COLOR = "#c49bff";
  const PLAYER_COLOR = "#7cc4ff";
  const FACING = { up: [0, -1], down: [0, 1], left: [-1, 0], right: [1, 0] };

  function mapCellSize(grid) {
    const room = Math.max(120, $("map-panel").clientWidth - 26);
    return Math.max(3, Math.min(18, Math.floor(room / Math.max(1, grid.cols))));
  }

  function render(m) {
    const panel = $("map-panel");
    panel.hidden = !m.available;  // a run without a map position (or recorded before maps were kept): nothing
    const grid = m.map;
    $("map-title").textContent = grid ? `${grid.name} (map ${grid.id})` : "";
    const known = grid ? `${fmtInt(grid.known_cells)} cells known here · ${fmtInt(m.known_cells_total)} on ${m.known_maps} maps` : "";
    $("map-info").textContent = [m.reason, known].filter(Boolean).join(" · ");
    $("map-box").hidden = !grid;
    if (grid) drawMap(m);
    renderWarps(m.warps || []);
    const minimap = $("minimap");
    minimap.textContent = m.minimap
      ? (m.minimap_shown ? "" : "(this run's model was not shown the minimap: channels.minimap was off)\n") + m.minimap
      : "—";
    $("minimap-box").hidden = !m.available;
    panel.dataset.known = grid ? String(grid.known_cells) : "0";
    panel.dataset.knownTotal = String(m.known_cells_total || 0);
    panel.dataset.player = m.player && grid ? `${grid.id},${m.player.x},${m.player.y}` : "";
    panel.dataset.here = m.player && m.player.here ? "1" : "0";
    panel.dataset.available = m.available ? "1" : "0";
    panel.dataset.step = String(m.step);
  }

  function drawMap(m) {
    const grid = m.map;
    const size = mapCellSize(grid);
    const canvas = $("map-canvas");
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(grid.cols * size * ratio);
    canvas.height = Math.round(grid.rows * size * ratio);
    canvas.style.width = `${grid.cols * size}px`;  // CSSOM, not a style attribute: the CSP allows it
    canvas.style.height = `${grid.rows * size}px`;
    canvas.dataset.cell = String(size);
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    const gap = size >= 6 ? 1 : 0;
    grid.cells.forEach((row, y) => {
      for (let x = 0; x < row.length; x++) {
        ctx.fillStyle = CELL_COLORS[row[x]] || CELL_COLORS["?"];
        ctx.fillRect(x * size, y * size, size - gap, size - gap);
      }
    });
    ctx.font = `bold ${Math.max(7, size - 4)}px monospace`;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    for (const w of m.warps) {
      if (!w.here) continue;
      const x = w.x - grid.x0, y = w.y - grid.y0;
      if (x < 0 || y < 0 || x >= grid.cols || y >= grid.rows) continue;
      ctx.fillStyle = WARP_COLOR;
      ctx.fillRect(x * size, y * size, size - gap, size - gap);
      if (size >= 9 && w.label) {
        ctx.fillStyle = "#15171c";
        ctx.fillText(w.label, x * size + size / 2, y * size + size / 2 + 0.5);
      }
    }
    const p = m.player;
    if (p) {
      const cx = (p.x - grid.x0) * size + size / 2, cy = (p.y - grid.y0) * size + size / 2;
      ctx.beginPath();
      ctx.arc(cx, cy, Math.max(1.5, size / 2 - 1), 0, 2 * Math.PI);
      ctx.fillStyle = p.here ? PLAYER_COLOR : "#15171c";
      ctx.fill();
      ctx.lineWidth = Math.max(1, size / 8);
      ctx.strokeStyle = PLAYER_COLOR;
      ctx.stroke();
      const face = FACING[p.facing];
      if (face && size >= 8) {  // a dot on the side the player faces
        ctx.beginPath();
        ctx.arc(cx + face[0] * size * 0.28, cy + face[1] * size * 0.28, size / 7, 0, 2 * Math.PI);
        ctx.fillStyle = "#15171c";
        ctx.fill();
      }
    }
  }

  function hover(m, event) {
    if (!m || !m.map) return;
    const size = Number($("map-canvas").dataset.cell) || 1;
    const rect = $("map-canvas").getBoundingClientRect();
    const cx = Math.floor((event.clientX - rect.left) / size), cy = Math.floor((event.clientY - rect.top) / size);
    const row = m.map.cells[cy];
    if (!row || cx < 0 || cx >= row.length) return;
    const x = m.map.x0 + cx, y = m.map.y0 + cy;
    const warp = m.warps.find((w) => w.here && w.x === x && w.y === y);
    let text = `(${x},${y}) ${CELL_NAMES[row[cx]] || ""}`;
    if (warp) text += ` · warp → ${warp.target_name} (map ${warp.target})`;
    if (m.player && m.player.x === x && m.player.y === y) text += " · you";
    $("map-hover").textContent = text;
  }

  function renderWarps(warps) {
    const list = $("warps");
    list.replaceChildren();
    $("warps-count").textContent = warps.length ? `(${warps.length})` : "";
    for (const w of warps) {
      const to = `${w.target_name} (map ${w.target}) at (${w.to[0]},${w.to[1]})`;
      list.append(el("li", { class: w.here ? "warp here" : "warp elsewhere", dataset: { map: String(w.map), target: String(w.target) } },
        w.here ? el("span", { class: "warp-label", text: w.label || "·" }) : `${w.map_name}: `,
        `(${w.x},${w.y}) → ${to}`));
    }
    if (!warps.length) list.append(el("li", { class: "muted", text: "no warps known yet" }));
  }

  return { render, hover };
})();
