"use strict";
// The competence map as a picture: a grid cartogram (one square per region, placed where its
// organisations are; the layout comes with the page), shaded by the specialisation index of the
// chosen field, or by the number of organisations when no field is chosen. Every region with
// organisations is a link (Tab reaches it, Enter opens its organisations).

const cartogram = (() => {
  const grids = JSON.parse(document.getElementById("map-grids").textContent);
  const NS = "http://www.w3.org/2000/svg";
  const CELL = 24;
  const GAP = 2;
  const FIELD_CLASSES = [
    ["strong", "strongly specialised (2 and above)"],
    ["above", "above average (1.25 to 2)"],
    ["about", "about average (0.8 to 1.25)"],
    ["below", "below average (under 0.8)"],
    ["none", "no organisation in this field"],
    ["small", "too few organisations for an index"],
    ["empty", "no organisations on the map"],
  ];
  const COUNT_CLASSES = [
    ["strong", "50 organisations or more"],
    ["above", "20 to 49"],
    ["about", "10 to 19"],
    ["below", "up to 9"],
    ["small", "too few organisations for an index"],
    ["empty", "no organisations on the map"],
  ];

  function svg(tag, attrs) {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    return node;
  }

  function fieldClass(cell, total, small) {
    if (!total) return "empty";
    if (total < small) return "small";
    if (!cell) return "none";
    return { "strongly specialised": "strong", "above average": "above", "about average": "about" }[cell.specialisation_label] || "below";
  }

  function countClass(total, small) {
    if (!total) return "empty";
    if (total < small) return "small";
    if (total >= 50) return "strong";
    if (total >= 20) return "above";
    if (total >= 10) return "about";
    return "below";
  }

  function describe(name, cell, total, small, field) {
    if (!total) return `${name}: no organisations on the map`;
    if (!field) return `${name}: ${intel.organisations(total)}${total < small ? ", too few for an index" : ""}`;
    if (!cell) return `${name}: none of its ${intel.organisations(total)} in this field`;
    const index = `specialisation ${cell.specialisation.toFixed(2)}`;
    const words = cell.small ? "too few organisations for an index" : cell.specialisation_label;
    return `${name}: ${cell.count} of ${cell.region_total} organisations in the field, ${index}, ${words}`;
  }

  function legend(list, field) {
    list.replaceChildren(
      ...(field ? FIELD_CLASSES : COUNT_CLASSES).map(([cls, text]) => {
        const li = intel.el("li");
        const swatch = svg("svg", { width: "18", height: "18", viewBox: "0 0 18 18", "aria-hidden": "true", class: "swatch" });
        swatch.append(svg("rect", { x: "1", y: "1", width: "16", height: "16", class: `cell cell-${cls}` }));
        li.append(swatch, ` ${text}`);
        return li;
      })
    );
  }

  // Draw `level`'s grid into `container`: cells (this field's rows), totals (organisations per
  // region), link(code) the address of a region's organisations.
  function draw(container, { level, cells, totals, field, small, country, link, name }) {
    const grid = grids[level];
    const byRegion = new Map(cells.map((c) => [c.region, c]));
    const root = svg("svg", { role: "group", class: "cartogram", "aria-labelledby": "map-picture-title" });
    const defs = svg("defs");
    const hatch = svg("pattern", { id: "hatch", width: "6", height: "6", patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" });
    hatch.append(svg("rect", { width: "6", height: "6", fill: "#f3f5f9" }), svg("line", { x1: "0", y1: "0", x2: "0", y2: "6", stroke: "#6b7080", "stroke-width": "2" }));
    defs.append(hatch);
    root.append(defs);
    let box = null;
    let shaded = 0;
    for (const [code, col, row] of grid.cells) {
      if (country && !code.startsWith(country)) continue;
      const total = totals.get(code) || 0;
      const cell = byRegion.get(code);
      const cls = field ? fieldClass(cell, total, small) : countClass(total, small);
      const x = col * (CELL + GAP);
      const y = row * (CELL + GAP);
      box = box ? [Math.min(box[0], x), Math.min(box[1], y), Math.max(box[2], x + CELL), Math.max(box[3], y + CELL)] : [x, y, x + CELL, y + CELL];
      const label = describe(name(code), cell, total, small, field);
      const rect = svg("rect", { x, y, width: CELL, height: CELL, rx: "2", class: `cell cell-${cls}` });
      const text = svg("text", { x: x + CELL / 2, y: y + CELL / 2 + 3, class: "cell-code", "text-anchor": "middle", "aria-hidden": "true" });
      text.textContent = level === "country" ? code : code.slice(2);
      const title = svg("title");
      title.textContent = label;
      if (!total) {
        const g = svg("g", { "aria-hidden": "true" });
        g.append(title, rect, text);
        root.append(g);
        continue;
      }
      if (cls !== "small" && cls !== "none") shaded += 1;
      const a = svg("a", { href: link(code), "aria-label": label, class: "region-link" });
      a.dataset.region = code;
      a.dataset.shade = cls;
      a.append(title, rect, text);
      root.append(a);
    }
    if (!box) {
      container.replaceChildren();
      return 0;
    }
    const pad = GAP * 2;
    const [x0, y0, x1, y1] = box;
    root.setAttribute("viewBox", `${x0 - pad} ${y0 - pad} ${x1 - x0 + 2 * pad} ${y1 - y0 + 2 * pad}`);
    root.setAttribute("preserveAspectRatio", "xMidYMid meet");
    container.replaceChildren(root);
    return shaded;
  }

  return { draw, legend };
})();
