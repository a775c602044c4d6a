"use strict";
// Shared helpers for the pages: calling /v1, turning errors into advice, rendering result cards.

const crosslink = (() => {
  const kindLabels = Object.fromEntries(
    JSON.parse(document.getElementById("kind-labels").textContent).map(([code, name]) => [code, name])
  );

  class ApiError extends Error {
    constructor(status, code, message, details, retryAfter) {
      super(message);
      this.status = status;
      this.code = code;
      this.details = details;
      this.retryAfter = retryAfter;
    }
  }

  async function api(method, path, body) {
    let response;
    try {
      response = await fetch(path, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (_) {
      throw new ApiError(0, "network", "crosslink could not be reached.");
    }
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      data = null;
    }
    if (!response.ok) {
      const error = (data && data.error) || {};
      throw new ApiError(
        response.status,
        error.code || "error",
        error.message || `the server answered ${response.status}`,
        error.details,
        response.headers.get("retry-after")
      );
    }
    return data;
  }

  // What went wrong, and what the person can do about it.
  function advice(error) {
    if (!(error instanceof ApiError)) return "Something went wrong in this page. Reload it and try again.";
    switch (error.status) {
      case 0:
        return "crosslink could not be reached. Check your connection, then try again.";
      case 404:
        return `${error.message}.`.replace(/\.\.$/, ".");
      case 422:
        return `The request was not accepted: ${error.message}. Correct it and try again.`;
      case 429:
        return `Too many requests from your address. Wait ${error.retryAfter || "a few"} seconds, then try again.`;
      case 503:
      case 504:
        return `The search is not available right now (${error.message}). Try again in a minute.`;
      default:
        return `Something went wrong on our side (${error.message}). Try again later.`;
    }
  }

  function setStatus(element, state, message, action) {
    element.className = `status ${state || ""}`.trim();
    element.replaceChildren();
    if (!message) return;
    const p = document.createElement("p");
    p.textContent = message;
    element.append(p);
    if (action) element.append(action);
  }

  function escapeRegExp(text) {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }

  // Fill `element` with `text`, wrapping words that start with a shared term in <mark>.
  function highlight(element, text, terms) {
    element.replaceChildren();
    const words = (terms || []).filter((t) => t && t.trim()).map((t) => escapeRegExp(t.trim()));
    if (!words.length) {
      element.textContent = text;
      return;
    }
    words.sort((a, b) => b.length - a.length);
    const pattern = new RegExp(`(?<![\\p{L}\\p{N}])((?:${words.join("|")})[\\p{L}\\p{N}]*)`, "giu");
    let last = 0;
    for (const match of text.matchAll(pattern)) {
      element.append(text.slice(last, match.index));
      const mark = document.createElement("mark");
      mark.textContent = match[0];
      element.append(mark);
      last = match.index + match[0].length;
    }
    element.append(text.slice(last));
  }

  function kindLabel(kind) {
    return kindLabels[kind] || kind;
  }

  function where(profile) {
    const region = profile.region_name || profile.region || "";
    const city = profile.city || "";
    // "Dresden, Kreisfreie Stadt" already names the city "Dresden".
    const cityInRegion = city && region.toLowerCase().startsWith(city.toLowerCase());
    const parts = [cityInRegion ? "" : city, region, profile.country_name || profile.country];
    return parts.filter(Boolean).join(", ");
  }

  const PASSAGE_LABELS = {
    description: "From its description:",
    offer: "From what it offers:",
    need: "From what it is looking for:",
    keywords: "From its keywords:",
    name: "From its name:",
  };

  function profileUrl(id) {
    return `/profiles/${encodeURIComponent(id)}`;
  }

  function renderCard(result) {
    const template = document.getElementById("card-template");
    const card = template.content.firstElementChild.cloneNode(true);
    const slot = (name) => card.querySelector(`[data-slot="${name}"]`);
    const profile = result.profile;
    const explanation = result.explanation || {};
    const passage = explanation.passage || { field: "description", text: profile.description };
    slot("link").textContent = profile.name;
    slot("link").href = profileUrl(profile.id);
    slot("kind").textContent = kindLabel(profile.kind);
    slot("where").textContent = where(profile);
    slot("passage-label").textContent = PASSAGE_LABELS[passage.field] || "Matched text:";
    highlight(slot("passage"), passage.text, explanation.shared_terms);
    const reasons = slot("reasons");
    for (const reason of explanation.reasons || []) {
      const li = document.createElement("li");
      li.textContent = reason;
      reasons.append(li);
    }
    if (!reasons.children.length) reasons.remove();
    return card;
  }

  // Show only the regions of the chosen country; without a country, regions wait for one.
  function linkRegionToCountry(regionSelect) {
    const countrySelect = document.getElementById(regionSelect.dataset.regionSelect);
    const groups = Array.from(regionSelect.querySelectorAll("optgroup"));
    const anyOption = regionSelect.querySelector('option[value=""]');
    const hint = document.getElementById(`${regionSelect.id}-hint`);
    function update() {
      const country = countrySelect.value;
      const keep = regionSelect.value;
      regionSelect.replaceChildren(anyOption, ...groups.filter((g) => g.dataset.country === country));
      regionSelect.disabled = !country;
      regionSelect.value = keep && keep.startsWith(country) ? keep : "";
      if (hint) hint.hidden = Boolean(country);
    }
    countrySelect.addEventListener("change", update);
    update();
    return update;
  }

  // A form whose query lives in the address: submitting it adds a history entry, and the page
  // (re)loads from the address on arrival and on Back/Forward.
  function followAddress(form, formQuery, fillForm, load) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const query = formQuery();
      history.pushState(null, "", `?${query}`);
      load(query);
    });
    function fromAddress() {
      const query = new URLSearchParams(location.search);
      fillForm(query);
      load(query);
    }
    window.addEventListener("popstate", fromAddress);
    fromAddress();
  }

  return {
    api,
    advice,
    setStatus,
    highlight,
    renderCard,
    kindLabel,
    where,
    profileUrl,
    linkRegionToCountry,
    followAddress,
    ApiError,
  };
})();
