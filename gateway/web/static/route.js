"use strict";
// A visit day as a small route sketch (inline SVG): the hosts as numbered points where they
// are, joined in the order of the visits, with the distance and travel time of each leg.
// The same legs are listed in words next to it.

const routeSketch = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const WIDTH = 320;
  const HEIGHT = 200;
  const PAD = 24;

  function svg(tag, attrs) {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    return node;
  }

  // Equirectangular around the day's middle: fine for the few tens of km of one day.
  function project(points) {
    const lat0 = points.reduce((s, p) => s + p.lat, 0) / points.length;
    const k = Math.cos((lat0 * Math.PI) / 180);
    const xs = points.map((p) => p.lon * k);
    const ys = points.map((p) => -p.lat);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const span = Math.max(x1 - x0, y1 - y0, 0.02); // at least ~2 km across
    const scale = Math.min((WIDTH - 2 * PAD) / span, (HEIGHT - 2 * PAD) / span);
    const dx = (WIDTH - (x1 - x0) * scale) / 2;
    const dy = (HEIGHT - (y1 - y0) * scale) / 2;
    const at = points.map((_, i) => [dx + (xs[i] - x0) * scale, dy + (ys[i] - y0) * scale]);
    // Hosts at the same point (one city) are drawn side by side.
    at.forEach((p, i) => {
      const same = at.slice(0, i).filter((q) => Math.hypot(q[0] - p[0], q[1] - p[1]) < 12).length;
      if (same) p[0] += 22 * same;
    });
    return at;
  }

  function draw(day) {
    const visits = day.visits.filter((v) => v.location);
    if (!visits.length) return null;
    const at = project(visits.map((v) => v.location));
    const root = svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: "route-sketch", role: "img" });
    root.setAttribute("aria-label", `Route of day ${day.day}: ${visits.map((v, i) => `${i + 1} ${v.profile.name}`).join(", ")}`);
    root.append(svg("rect", { x: "0", y: "0", width: WIDTH, height: HEIGHT, class: "route-paper" }));
    if (at.length > 1) root.append(svg("polyline", { points: at.map((p) => p.join(",")).join(" "), class: "route-line" }));
    const legs = new Map((day.legs || []).map((leg) => [leg.from_profile, leg]));
    visits.forEach((visit, i) => {
      const leg = legs.get(visit.profile.id);
      if (leg && i + 1 < at.length) {
        const label = svg("text", { x: (at[i][0] + at[i + 1][0]) / 2, y: (at[i][1] + at[i + 1][1]) / 2 - 4, class: "route-leg", "text-anchor": "middle" });
        label.textContent = `${Math.round(leg.distance_km)} km · ${leg.minutes} min`;
        root.append(label);
      }
    });
    visits.forEach((visit, i) => {
      root.append(svg("circle", { cx: at[i][0], cy: at[i][1], r: "9", class: "route-stop" }));
      const n = svg("text", { x: at[i][0], y: at[i][1] + 4, class: "route-number", "text-anchor": "middle" });
      n.textContent = String(i + 1);
      root.append(n);
    });
    const note = svg("text", { x: WIDTH - 6, y: HEIGHT - 6, class: "route-note", "text-anchor": "end" });
    note.textContent = "sketch, not to a road map";
    root.append(note);
    return root;
  }

  // The legs in words: "1 → 2: 12 km, about 25 min".
  function legList(day) {
    const order = new Map(day.visits.map((v, i) => [v.profile.id, i + 1]));
    const ol = document.createElement("ul");
    ol.className = "legs";
    for (const leg of day.legs || []) {
      const li = document.createElement("li");
      li.textContent = `${order.get(leg.from_profile)} → ${order.get(leg.to_profile)}: ${leg.distance_km.toFixed(0)} km, about ${leg.minutes} min by road`;
      ol.append(li);
    }
    return ol;
  }

  return { draw, legList };
})();
