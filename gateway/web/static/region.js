"use strict";
// One region's organisations, reached from the competence map (?field=&kind=&level= carry the
// map's choices): GET /v1/profiles by region (or country), and the region's figures in the field.

(() => {
  const root = document.getElementById("region-root");
  const code = root.dataset.region;
  const list = document.getElementById("region-list");
  const status = document.getElementById("region-status");
  const more = document.getElementById("region-more");
  const fieldLine = document.getElementById("region-field");
  const query = new URLSearchParams(location.search);
  const kind = query.get("kind");
  const field = query.get("field");
  const level = code.length === 2 ? "country" : code.length === 3 ? "nuts1" : "nuts2";
  const { el } = intel;
  let cursor = null;

  const back = new URLSearchParams({ level });
  for (const name of ["field", "kind"]) if (query.get(name)) back.set(name, query.get(name));
  document.getElementById("back-to-map").href = `/map?${back}`;

  function item(profile) {
    const li = el("li", "org");
    const link = el("a", null, profile.name);
    link.href = crosslink.profileUrl(profile.id);
    const meta = el("p", "meta");
    meta.append(el("span", "badge", crosslink.kindLabel(profile.kind)), " ", crosslink.where(profile));
    li.append(link, meta);
    return li;
  }

  async function page() {
    const params = new URLSearchParams({ limit: "50" });
    params.set(code.length === 2 ? "country" : "region", code);
    if (kind) params.set("kind", kind);
    if (cursor) params.set("cursor", cursor);
    more.disabled = true;
    crosslink.setStatus(status, "loading", "Loading the organisations…");
    try {
      const body = await crosslink.api("GET", `/v1/profiles?${params}`);
      list.append(...body.data.map(item));
      cursor = body.next_cursor;
      more.hidden = !cursor;
      crosslink.setStatus(status, list.children.length ? "" : "empty", list.children.length ? "" : "No organisations here.");
    } catch (error) {
      crosslink.setStatus(status, "error", intel.advice(error), intel.retryButton(page));
    } finally {
      more.disabled = false;
    }
  }

  async function figures() {
    if (!field) return;
    const params = new URLSearchParams({ level, field });
    if (kind) params.set("kind", kind);
    if (query.get("small_below")) params.set("small_below", query.get("small_below"));
    try {
      const [fields, map] = await Promise.all([intel.fieldLabels(), crosslink.api("GET", `/v1/map/competences?${params}`)]);
      const cell = map.data.find((c) => c.region === code);
      const name = intel.fieldText(fields, field);
      fieldLine.textContent = !cell
        ? `No organisation here works in ${name}.`
        : cell.small
          ? `${cell.count} of ${cell.region_total} organisations work in ${name}: too few organisations to read a specialisation.`
          : `${cell.count} of ${cell.region_total} organisations work in ${name}; specialisation ${cell.specialisation.toFixed(2)} (${cell.specialisation_label}).`;
      fieldLine.hidden = false;
    } catch (_) {
      fieldLine.hidden = true; // the list below still answers the question
    }
  }

  more.addEventListener("click", page);
  figures();
  page();
})();
