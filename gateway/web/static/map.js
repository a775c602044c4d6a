"use strict";
// The competence map: the choices live in the address (?level=&field=&kind=&country=), the figures
// come from GET /v1/map/competences; the country only narrows the rows shown.

(() => {
  const form = document.getElementById("map-form");
  const fieldSelect = document.getElementById("field");
  const status = document.getElementById("map-status");
  const section = document.getElementById("map");
  const heading = document.getElementById("map-heading");
  const summary = document.getElementById("map-summary");
  const table = document.getElementById("map-table");
  const caption = document.getElementById("map-caption");
  const csvLink = document.getElementById("csv-link");
  const button = form.querySelector('button[type="submit"]');
  const names = ["level", "field", "kind", "country"];
  const LEVELS = { country: "countries", nuts1: "large regions (NUTS 1)", nuts2: "regions (NUTS 2)" };
  const FIRST_REGIONS = 40; // a long map shows this many regions until asked for all
  const picture = document.getElementById("map-picture");
  const pictureTitle = document.getElementById("map-picture-title");
  const legend = document.getElementById("map-legend");
  const smallBelow = Number(section.dataset.smallBelow) || 5;
  const { el } = intel;
  const totalsCache = new Map();
  let labels = null;
  let current = 0;

  // The threshold for "too few organisations" can be set in the address (?small_below=).
  const wantedSmall = () => new URLSearchParams(location.search).get("small_below");

  function params() {
    const out = new URLSearchParams();
    for (const name of names) if (form.elements[name].value) out.set(name, form.elements[name].value);
    if (wantedSmall()) out.set("small_below", wantedSmall());
    return out;
  }

  function fillForm(query) {
    form.elements.level.value = ["country", "nuts1", "nuts2"].includes(query.get("level")) ? query.get("level") : "nuts2";
    for (const name of ["field", "kind", "country"]) form.elements[name].value = query.get(name) || "";
  }

  async function loadFields(wanted) {
    if (labels) return;
    const body = await crosslink.api("GET", "/v1/fields");
    labels = Object.fromEntries(body.data.map((f) => [f.id, f.label]));
    const options = body.data.map((f) => {
      const option = el("option", null, `${f.label} (${f.id}, ${f.size} organisations)`);
      option.value = f.id;
      return option;
    });
    fieldSelect.append(...options);
    fieldSelect.value = wanted || "";
  }

  function apiQuery(query) {
    const out = new URLSearchParams({ level: query.get("level") || "nuts2" });
    for (const name of ["field", "kind", "small_below"]) if (query.get(name)) out.set(name, query.get(name));
    return out;
  }

  function countCell(cell) {
    const td = el("td", "num");
    td.append(el("strong", null, String(cell.count)), ` of ${cell.region_total}`);
    return td;
  }

  function lqCell(cell) {
    const td = el("td");
    td.append(intel.lqBar(cell.specialisation, cell.small));
    return td;
  }

  function topCell(cell) {
    const td = el("td");
    td.append(intel.orgList(cell.top));
    if (cell.count > cell.top.length) td.append(el("span", "hint", ` and ${cell.count - cell.top.length} more`));
    return td;
  }

  function regionLabel(cell) {
    return cell.region_name ? `${cell.region_name} (${cell.region})` : intel.placeName(cell.region);
  }

  function head(columns) {
    const thead = el("thead");
    const tr = el("tr");
    for (const text of columns) {
      const th = el("th", null, text);
      th.scope = "col";
      tr.append(th);
    }
    thead.append(tr);
    return thead;
  }

  // One field: a row per region, the most specialised first.
  function byRegion(cells) {
    cells.sort((a, b) => b.specialisation - a.specialisation || b.count - a.count || a.region.localeCompare(b.region));
    const tbody = el("tbody");
    for (const cell of cells) {
      const tr = el("tr");
      tr.dataset.region = cell.region;
      const th = el("th", null, regionLabel(cell));
      th.scope = "row";
      tr.append(th, countCell(cell), lqCell(cell), topCell(cell));
      tbody.append(tr);
    }
    return [head(["Region", "Organisations in the field", "Specialisation", "Organisations that stand for it"]), tbody];
  }

  // All fields: a group of rows per region, its most specialised fields first.
  function byField(cells, all) {
    const regions = new Map();
    for (const cell of cells) {
      if (!regions.has(cell.region)) regions.set(cell.region, []);
      regions.get(cell.region).push(cell);
    }
    const groups = [];
    for (const [region, rows] of regions) {
      rows.sort((a, b) => b.specialisation - a.specialisation || b.count - a.count || a.field.localeCompare(b.field));
      const tbody = el("tbody", "region-group");
      tbody.dataset.region = region;
      const title = el("tr", "group");
      const th = el("th", null, `${regionLabel(rows[0])}: ${intel.organisations(rows[0].region_total)}`);
      th.scope = "rowgroup";
      th.colSpan = 4;
      title.append(th);
      tbody.append(title);
      for (const cell of rows) {
        const tr = el("tr");
        tr.dataset.field = cell.field;
        const field = el("th", null, `${cell.field_label} (${cell.field})`);
        field.scope = "row";
        tr.append(field, countCell(cell), lqCell(cell), topCell(cell));
        tbody.append(tr);
      }
      groups.push(tbody);
    }
    return [head(["Technology field", "Organisations", "Specialisation", "Organisations that stand for it"]), ...(all ? groups : groups.slice(0, FIRST_REGIONS))];
  }

  // Organisations per region on this map (all fields), for shading the regions a field misses.
  async function regionTotals(query, body) {
    const params = apiQuery(query);
    params.delete("field");
    const key = String(params);
    if (!query.get("field")) totalsCache.set(key, body);
    if (!totalsCache.has(key)) totalsCache.set(key, await crosslink.api("GET", `/v1/map/competences?${params}`));
    const totals = new Map();
    for (const cell of totalsCache.get(key).data) totals.set(cell.region, cell.region_total);
    return totals;
  }

  function drawPicture(body, query, totals) {
    const field = query.get("field");
    const country = query.get("country");
    const link = (code) => {
      const out = new URLSearchParams({ level: body.level });
      for (const name of ["field", "kind", "small_below"]) if (query.get(name)) out.set(name, query.get(name));
      return `/regions/${code}?${out}`;
    };
    pictureTitle.textContent = field
      ? `${intel.fieldText(labels || {}, field)}: specialisation by region`
      : "Organisations on the map by region";
    cartogram.legend(legend, field);
    document.getElementById("map-small").textContent = String(body.small_below || smallBelow);
    cartogram.draw(picture, {
      level: body.level,
      cells: body.data,
      totals,
      field,
      small: body.small_below || smallBelow,
      country,
      link,
      name: (code) => intel.placeName(code),
    });
  }

  function show(body, query, all, totals) {
    const country = query.get("country");
    const cells = body.data.filter((c) => !country || c.region.startsWith(country));
    const level = LEVELS[body.level];
    const field = query.get("field");
    const kind = query.get("kind");
    const regions = new Set(cells.map((c) => c.region)).size;
    heading.textContent = field
      ? `${intel.fieldText(labels || {}, field)}: ${level}`
      : `Technology fields of ${country ? `the ${level} of ${intel.placeName(country)}` : `all ${level}`}`;
    caption.textContent = heading.textContent;
    csvLink.href = `/v1/map/competences?${apiQuery(query)}&format=csv`;
    if (!cells.length) {
      section.hidden = true;
      const what = kind ? `organisations of the type “${crosslink.kindLabel(kind)}”` : "organisations";
      crosslink.setStatus(
        status,
        "empty",
        country
          ? `No ${what} in ${intel.placeName(country)} on this map. Choose another country or type, or all countries.`
          : `No ${what} on this map${field ? " in this field" : ""}. Choose another type or field.`
      );
      return;
    }
    const parts = field ? byRegion(cells) : byField(cells, all || !!country);
    drawPicture(body, query, totals);
    table.replaceChildren(caption, ...parts);
    intel.labelCells(table);
    summary.textContent =
      `${body.total} organisations${kind ? ` of the type “${crosslink.kindLabel(kind)}”` : ""} with a known region are on the map; ` +
      `${regions} ${level} shown.`;
    if (!field && !all && !country && regions > FIRST_REGIONS) {
      const more = el("button", "secondary", `Show all ${regions} ${level}`);
      more.type = "button";
      more.addEventListener("click", () => show(body, query, true, totals));
      crosslink.setStatus(status, "", `The first ${FIRST_REGIONS} of ${regions} ${level} are shown. Choose a country or a field to narrow the map.`, more);
    } else {
      crosslink.setStatus(status, "", "");
    }
    section.hidden = false;
  }

  async function load(query) {
    const run = ++current;
    section.hidden = true;
    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    crosslink.setStatus(status, "loading", "Computing the map…");
    try {
      await loadFields(query.get("field"));
      const body = await crosslink.api("GET", `/v1/map/competences?${apiQuery(query)}`);
      const totals = await regionTotals(query, body);
      if (run !== current) return;
      show(body, query, false, totals);
    } catch (error) {
      if (run !== current) return;
      crosslink.setStatus(status, "error", intel.advice(error), intel.retryButton(() => load(query)));
    } finally {
      if (run === current) {
        button.disabled = false;
        form.removeAttribute("aria-busy");
      }
    }
  }

  crosslink.followAddress(form, params, fillForm, load);
})();
