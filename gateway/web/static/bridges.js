"use strict";
// Cross-sector bridges: the filters live in the address, the bridges come from GET /v1/bridges.

(() => {
  const form = document.getElementById("bridges-form");
  const status = document.getElementById("bridges-status");
  const section = document.getElementById("bridges");
  const heading = document.getElementById("bridges-heading");
  const list = document.getElementById("bridge-list");
  const pairs = document.querySelector("#pairs-table tbody");
  const button = form.querySelector('button[type="submit"]');
  const names = ["from_country", "from_region", "to_country", "to_region", "min_distance"];
  const updaters = [
    crosslink.linkRegionToCountry(document.getElementById("from-region")),
    crosslink.linkRegionToCountry(document.getElementById("to-region")),
  ];
  const LIMIT = 50;
  const { el } = intel;
  let labels = null;
  let current = 0;

  function formQuery() {
    const out = new URLSearchParams();
    for (const name of names) {
      const control = form.elements[name];
      if (control.value && !control.disabled && !(name === "min_distance" && control.value === "0")) {
        out.set(name, control.value);
      }
    }
    return out;
  }

  function fillForm(query) {
    for (const name of ["from_country", "to_country"]) form.elements[name].value = query.get(name) || "";
    updaters.forEach((update) => update());
    for (const name of ["from_region", "to_region"]) form.elements[name].value = query.get(name) || "";
    const distance = query.get("min_distance") || "0";
    form.elements.min_distance.value = Array.from(form.elements.min_distance.options).some((o) => o.value === distance) ? distance : "0";
  }

  // A region, else its country: the API takes either as a prefix.
  function apiQuery(query) {
    const out = new URLSearchParams({ limit: String(LIMIT) });
    for (const side of ["from", "to"]) {
      const place = query.get(`${side}_region`) || query.get(`${side}_country`);
      if (place) out.set(`${side}_region`, place);
    }
    if (query.get("min_distance")) out.set("min_distance", query.get("min_distance"));
    return out;
  }

  function showPairs(fieldPairs) {
    pairs.replaceChildren(
      ...fieldPairs.slice(0, 15).map((pair) => {
        const tr = el("tr");
        const seeker = el("th", null, `${pair.seeker_label} (${pair.seeker_field})`);
        seeker.scope = "row";
        tr.append(
          seeker,
          el("td", null, `${pair.provider_label} (${pair.provider_field})`),
          el("td", "num", String(pair.bridges)),
          el("td", "num", pair.mean_similarity.toFixed(2))
        );
        return tr;
      })
    );
    intel.labelCells(document.getElementById("pairs-table"));
  }

  function describe(query) {
    const from = query.get("from_region") || query.get("from_country");
    const to = query.get("to_region") || query.get("to_country");
    if (from && to) return `Needs in ${intel.placeName(from)} answered in ${intel.placeName(to)}`;
    if (from) return `Needs in ${intel.placeName(from)} answered elsewhere`;
    if (to) return `Offers from ${intel.placeName(to)} answering needs elsewhere`;
    return "Bridges across Europe";
  }

  async function load(query) {
    const run = ++current;
    section.hidden = true;
    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    crosslink.setStatus(status, "loading", "Looking for bridges…");
    try {
      if (!labels) labels = await intel.fieldLabels();
      const body = await crosslink.api("GET", `/v1/bridges?${apiQuery(query)}`);
      if (run !== current) return;
      if (!body.data.length) {
        const filtered = ["from_region", "from_country", "to_region", "to_country", "min_distance"].some((n) => query.get(n));
        crosslink.setStatus(
          status,
          "empty",
          filtered
            ? "No bridges with these filters. Choose a whole country instead of a region, another country, or any two different fields."
            : "No bridges yet. Bridges need organisations that say what they are looking for: add needs to the profiles."
        );
        return;
      }
      heading.textContent = describe(query);
      list.replaceChildren(...body.data.map((bridge) => intel.renderBridge(bridge, labels)));
      showPairs(body.field_pairs);
      const more = body.data.length === LIMIT ? ` (the ${LIMIT} closest)` : "";
      crosslink.setStatus(status, "", `${body.data.length} bridges${more}, the closest first.`);
      section.hidden = false;
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

  crosslink.followAddress(form, formQuery, fillForm, load);
})();
