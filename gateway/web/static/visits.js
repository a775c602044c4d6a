"use strict";
// The visit planner: delegation members (needs or profile numbers), a target, days; the
// programme by day, printable as a briefing.

(() => {
  const form = document.getElementById("visit-form");
  const members = document.getElementById("members");
  const template = document.getElementById("member-template");
  const country = document.getElementById("target-country");
  const region = document.getElementById("target-region");
  const targetError = document.getElementById("target-error");
  const status = document.getElementById("plan-status");
  const plan = document.getElementById("plan");
  const button = form.querySelector('button[type="submit"]');
  let serial = 0;

  crosslink.linkRegionToCountry(region);

  function renumber() {
    Array.from(members.children).forEach((member, i) => {
      member.querySelector('[data-slot="legend"]').textContent = `Member ${i + 1}`;
      member.querySelector('[data-action="remove"]').hidden = members.children.length === 1;
    });
  }

  function addMember(values = {}) {
    const member = template.content.firstElementChild.cloneNode(true);
    const n = ++serial;
    for (const input of member.querySelectorAll("[data-input]")) {
      input.id = `member-${n}-${input.dataset.input}`;
      if (input.dataset.input !== "profile") input.value = values[input.dataset.input] || "";
    }
    for (const label of member.querySelectorAll("label[data-for]")) {
      label.htmlFor = `member-${n}-${label.dataset.for}`;
    }
    const error = member.querySelector('[data-slot="error"]');
    error.id = `member-${n}-error`;
    member.querySelector("[data-input=need]").setAttribute("aria-describedby", error.id);
    const picker = member.querySelector("[data-input=profile]");
    picker.setAttribute("aria-describedby", error.id);
    const suggestions = member.querySelector('[data-slot="suggestions"]');
    suggestions.id = `member-${n}-suggestions`;
    suggestions.setAttribute("aria-label", "Organisations");
    const combo = combobox.attach(picker, suggestions, (text) => {
      document.getElementById("combo-status").textContent = text;
    });
    if (values.profile) combo.preset(values.profile);
    member.querySelector('[data-action="remove"]').addEventListener("click", () => {
      const next = member.nextElementSibling || member.previousElementSibling;
      member.remove();
      renumber();
      if (next) next.querySelector("textarea").focus();
    });
    members.append(member);
    renumber();
    return member;
  }

  function setError(element, message) {
    element.textContent = message;
    element.hidden = !message;
  }

  // Read the members; returns [delegation, first invalid input or null].
  function readDelegation() {
    const delegation = [];
    let invalid = null;
    for (const member of members.children) {
      const get = (name) => member.querySelector(`[data-input=${name}]`).value.trim();
      const [name, need, typed] = [get("name"), get("need"), get("profile")];
      const picker = member.querySelector("[data-input=profile]");
      // The chosen suggestion's id, else a typed profile number.
      const profile = typed && picker.dataset.profileId ? picker.dataset.profileId : typed;
      const error = member.querySelector('[data-slot="error"]');
      let message = "";
      if (need && typed) message = "Give either a need or an organisation, not both.";
      else if (typed && !/^[1-9][0-9]*$/.test(profile))
        message = "Choose the organisation from the suggestions (type a few letters of its name), or give its profile number such as 42.";
      setError(error, message);
      if (message && !invalid) invalid = member.querySelector(typed ? "[data-input=profile]" : "textarea");
      if (!need && !profile) continue;
      const item = profile ? { profile_id: Number(profile) } : { need };
      if (name) item.name = name;
      delegation.push(item);
    }
    if (!delegation.length && !invalid) {
      const first = members.children[0];
      setError(first.querySelector('[data-slot="error"]'), "Describe at least one member's need, or choose its organisation.");
      invalid = first.querySelector("textarea");
    }
    return [delegation, invalid];
  }

  function element(tag, className, text) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined) el.textContent = text;
    return el;
  }

  function renderVisit(visit) {
    const li = element("li", "visit");
    const heading = element("h4", "visit-title");
    const link = element("a", "", visit.profile.name);
    link.href = crosslink.profileUrl(visit.profile.id);
    heading.append(link);
    const meta = element("p", "meta");
    meta.append(element("span", "badge", crosslink.kindLabel(visit.profile.kind)), " ", crosslink.where(visit.profile));
    const serves = element("ul", "serves");
    for (const served of visit.serves) {
      const item = element("li");
      const why = (served.why || []).map((reason) => (/[.!?]$/.test(reason) ? reason : `${reason}.`));
      item.append(element("strong", "", `For ${served.label}: `), why.join(" "));
      if (served.passage) item.append(element("blockquote", "passage", served.passage));
      serves.append(item);
    }
    li.append(heading, meta, serves);
    return li;
  }

  function renderPlan(body) {
    const target = body.target_name ? `${body.target_name} (${body.target})` : body.target;
    document.getElementById("plan-heading").textContent = `Visit programme: ${target}`;
    const created = new Date(body.created_at);
    document.getElementById("plan-date").textContent =
      `${body.days.length} day${body.days.length === 1 ? "" : "s"} · prepared ${created.toLocaleDateString("en-GB", { dateStyle: "long" })}`;
    document.getElementById("briefing-link").href = body.briefing_url;
    const labels = {};
    document.getElementById("plan-delegation").replaceChildren(
      ...body.delegation.map((member) => {
        labels[member.index] = member.label;
        const li = element("li");
        li.append(element("strong", "", `${member.label}: `), member.need);
        return li;
      })
    );
    const reason = document.getElementById("plan-areas");
    reason.hidden = !body.areas_reason;
    reason.textContent = body.areas_reason || "";
    const uncovered = document.getElementById("plan-uncovered");
    uncovered.hidden = !body.uncovered.length;
    uncovered.textContent = body.uncovered.length
      ? `No host in ${target} serves ${body.uncovered.map((i) => labels[i] || `member ${i + 1}`).join(", ")}. ` +
        "Choose a wider target (the whole country) or describe these needs in other words."
      : "";
    const days = document.getElementById("plan-days");
    days.replaceChildren(
      ...body.days.map((day) => {
        const section = element("section", "day");
        const cities = (day.cities || []).filter(Boolean);
        section.append(element("h3", "", `Day ${day.day}${cities.length ? ` · ${cities.join(", ")}` : ""}`));
        if (day.area) {
          const within = body.radius_km ? ` (all hosts within ${body.radius_km} km)` : "";
          section.append(element("p", "day-area", `${day.area[0].toUpperCase()}${day.area.slice(1)}${within}. ${day.why || ""}`));
        }
        const sketch = routeSketch.draw(day);
        if (sketch) {
          const figure = element("figure", "route");
          figure.append(sketch);
          if ((day.legs || []).length) figure.append(routeSketch.legList(day));
          section.append(figure);
        }
        const list = element("ol", "visits");
        list.append(...day.visits.map(renderVisit));
        section.append(list);
        return section;
      })
    );
    plan.hidden = false;
    document.getElementById("plan-heading").focus();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const [delegation, invalid] = readDelegation();
    setError(targetError, country.value ? "" : "Choose the country you are visiting.");
    country.setAttribute("aria-invalid", country.value ? "false" : "true");
    if (invalid || !country.value) {
      (invalid || country).focus();
      return;
    }
    const request = {
      delegation,
      target: region.value || country.value,
      days: Number(form.elements.days.value),
      visits_per_day: Number(form.elements.visits_per_day.value),
    };
    plan.hidden = true;
    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    crosslink.setStatus(status, "loading", "Planning the visit: finding hosts for every member…");
    try {
      const body = await crosslink.api("POST", "/v1/visits/plan", request);
      const visits = body.days.reduce((n, day) => n + day.visits.length, 0);
      if (!visits) {
        crosslink.setStatus(status, "empty", "No host organisations were found there. Choose a wider target, for example the whole country, or describe the needs in other words.");
        return;
      }
      crosslink.setStatus(status, "", `Programme ready: ${visits} visits.`);
      renderPlan(body);
    } catch (error) {
      crosslink.setStatus(status, "error", crosslink.advice(error));
    } finally {
      button.disabled = false;
      form.removeAttribute("aria-busy");
    }
  });

  document.getElementById("add-member").addEventListener("click", () => {
    addMember().querySelector("textarea").focus();
  });
  document.getElementById("print-plan").addEventListener("click", () => window.print());

  const preset = new URLSearchParams(location.search).getAll("member").filter((m) => /^\d+$/.test(m));
  for (const id of preset) addMember({ profile: id });
  while (members.children.length < 2) addMember();
})();
