"use strict";
// The search page: the need and filters live in the address (?q=...), so results can be shared
// and the back button works; the form also works as a plain GET form.

(() => {
  const form = document.getElementById("search-form");
  const need = document.getElementById("need");
  const needError = document.getElementById("need-error");
  const status = document.getElementById("search-status");
  const results = document.getElementById("results");
  const list = document.getElementById("result-list");
  const button = form.querySelector('button[type="submit"]');
  const fields = ["q", "kind", "country", "region", "sector"];
  const updateRegions = crosslink.linkRegionToCountry(document.getElementById("region"));
  let current = 0;

  function fillForm(params) {
    for (const name of fields) form.elements[name].value = params.get(name) || "";
    updateRegions();
    form.elements.region.value = params.get("region") || "";
  }

  function formParams() {
    const params = new URLSearchParams();
    for (const name of fields) {
      const value = form.elements[name].value.trim();
      if (value && !form.elements[name].disabled) params.set(name, value);
    }
    return params;
  }

  function showNeedError(message) {
    needError.textContent = message;
    needError.hidden = !message;
    need.setAttribute("aria-invalid", message ? "true" : "false");
  }

  function request(params) {
    const filters = {};
    const one = (name, key) => {
      if (params.get(name)) filters[key] = [params.get(name)];
    };
    one("kind", "kinds");
    one("country", "countries");
    one("region", "regions");
    one("sector", "sectors");
    return { text: params.get("q"), filters, limit: 20 };
  }

  async function search(params) {
    const run = ++current;
    results.hidden = true;
    list.replaceChildren();
    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    crosslink.setStatus(status, "loading", "Searching for partners…");
    try {
      const [body, marks] = await Promise.all([
        crosslink.api("POST", "/v1/match", request(params)),
        crosslinkFeedback.own().catch(() => new Map()),
      ]);
      if (run !== current) return;
      if (!body.data.length) {
        const filtered = ["kind", "country", "region", "sector"].some((n) => params.get(n));
        crosslink.setStatus(
          status,
          "empty",
          filtered
            ? "No partners match these filters. Remove a filter or describe the need in other words."
            : "No partners found. Describe the need in other words, for example name the technology or the product."
        );
        return;
      }
      const context = { need_text: params.get("q").slice(0, 2000) };
      list.append(
        ...body.data.map((r) => crosslinkFeedback.attach(crosslink.renderCard(r), r, context, marks))
      );
      crosslink.setStatus(status, "", `${body.data.length} partners found.`);
      results.hidden = false;
    } catch (error) {
      if (run !== current) return;
      crosslink.setStatus(status, "error", crosslink.advice(error));
    } finally {
      if (run === current) {
        button.disabled = false;
        form.removeAttribute("aria-busy");
      }
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const params = formParams();
    if (!params.get("q")) {
      showNeedError("Write what you are looking for, in a few words or sentences.");
      need.focus();
      return;
    }
    showNeedError("");
    history.pushState(null, "", `?${params}`);
    search(params);
  });

  need.addEventListener("input", () => {
    if (need.value.trim()) showNeedError("");
  });

  function fromAddress() {
    const params = new URLSearchParams(location.search);
    fillForm(params);
    if (params.get("q")) {
      search(params);
    } else {
      results.hidden = true;
      crosslink.setStatus(status, "", "");
    }
  }

  window.addEventListener("popstate", fromAddress);
  fromAddress();
})();
