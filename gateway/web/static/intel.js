"use strict";
// Shared by the cluster-intelligence pages (map, bridges, cluster potential): region names,
// the specialisation index as a bar, organisation links, bridge cards.

const intel = (() => {
  const places = JSON.parse(document.getElementById("place-names").textContent);

  // "DED21" -> "Dresden (DED2)": NUTS 3 codes are named by their NUTS 2 region.
  function placeName(code) {
    if (!code) return "";
    const name = places[code] || places[code.slice(0, 4)];
    if (!name) return code;
    return code.length === 2 ? name : `${name} (${code.length > 4 ? code.slice(0, 4) : code})`;
  }

  function orgWhere(org) {
    const country = places[org.country] || org.country;
    if (!org.region || org.region.length <= 2) return country;
    return `${placeName(org.region)}, ${country}`;
  }

  function el(tag, className, text) {
    const element = document.createElement(tag);
    if (className) element.className = className;
    if (text !== undefined && text !== null) element.textContent = text;
    return element;
  }

  function orgLink(org) {
    const a = el("a", null, org.name);
    a.href = crosslink.profileUrl(org.id);
    return a;
  }

  // A list of organisations as links: "A, B and C".
  function orgList(orgs) {
    const span = el("span", "orgs");
    orgs.forEach((org, i) => {
      if (i) span.append(i === orgs.length - 1 ? " and " : ", ");
      span.append(orgLink(org));
    });
    return span;
  }

  function describeLq(value) {
    if (value >= 2) return "strongly specialised";
    if (value >= 1.25) return "above average";
    if (value > 0.8) return "about average";
    return "below average";
  }

  // The location quotient as a number, words and a bar whose middle mark is the average (1).
  const LQ_SCALE = 3;
  // A small region's index rests on a handful of organisations: shown, but not put in words.
  function lqBar(value, small) {
    const words = small ? "too few organisations" : describeLq(value);
    const wrap = el("span", `lq lq-${words.replace(/ /g, "-")}`);
    const bar = el("span", "lq-bar");
    bar.setAttribute("aria-hidden", "true");
    const fill = el("span", "lq-fill");
    fill.style.width = `${Math.min(value, LQ_SCALE) / LQ_SCALE * 100}%`;
    const mark = el("span", "lq-mark");
    mark.style.left = `${100 / LQ_SCALE}%`;
    bar.append(fill, mark);
    wrap.append(bar, el("span", "lq-value", value.toFixed(2)), el("span", "lq-words", words));
    return wrap;
  }

  function organisations(n) {
    return `${n} organisation${n === 1 ? "" : "s"}`;
  }

  function percent(share) {
    return `${Math.round(share * 100)} %`;
  }

  async function fieldLabels() {
    const body = await crosslink.api("GET", "/v1/fields");
    return Object.fromEntries(body.data.map((f) => [f.id, f.label]));
  }

  function fieldText(labels, id) {
    return labels[id] ? `${labels[id]} (${id})` : id;
  }

  function renderBridge(bridge, labels) {
    const template = document.getElementById("bridge-template");
    const card = template.content.firstElementChild.cloneNode(true);
    const slot = (name) => card.querySelector(`[data-slot="${name}"]`);
    for (const [side, org, field] of [
      ["seeker", bridge.seeker, bridge.seeker_field],
      ["provider", bridge.provider, bridge.provider_field],
    ]) {
      slot(`${side}-link`).textContent = org.name;
      slot(`${side}-link`).href = crosslink.profileUrl(org.id);
      slot(`${side}-kind`).textContent = crosslink.kindLabel(org.kind);
      slot(`${side}-where`).textContent = orgWhere(org);
      slot(`${side}-field`).textContent = `Field: ${fieldText(labels, field)}`;
    }
    slot("need").textContent = bridge.need.text;
    slot("offer").textContent = bridge.offer.text;
    slot("score").textContent =
      `Closeness of need and offer ${bridge.similarity.toFixed(2)} (1 is identical); ` +
      `distance between the two fields ${bridge.field_distance.toFixed(2)}.`;
    return card;
  }

  // The API's error, in words for this page; the matcher may still be reading the profiles.
  function advice(error) {
    if (error instanceof crosslink.ApiError && error.code === "not_ready") {
      return "crosslink is still reading the profiles, so these figures are not ready yet. Try again in a minute.";
    }
    return crosslink.advice(error);
  }

  // On a phone the rows stack; each cell then says which column it is (data-label).
  function labelCells(table) {
    const heads = Array.from(table.querySelectorAll("thead th")).map((th) => th.textContent);
    for (const row of table.querySelectorAll("tbody tr:not(.group)")) {
      Array.from(row.children).forEach((cell, i) => {
        if (i > 0 && heads[i]) cell.dataset.label = heads[i];
      });
    }
  }

  function retryButton(action) {
    const button = el("button", "secondary", "Try again");
    button.type = "button";
    button.addEventListener("click", action);
    return button;
  }

  return { placeName, orgWhere, el, orgLink, orgList, lqBar, describeLq, organisations, percent, fieldLabels, fieldText, renderBridge, advice, labelCells, retryButton };
})();
