"use strict";
// A cluster's potential: GET /v1/clusters/{id}/potential with the profile and the field names.

(() => {
  const root = document.getElementById("cluster-root");
  const id = root.dataset.profileId;
  const status = document.getElementById("cluster-status");
  const article = document.getElementById("potential");
  const { el } = intel;

  function empty(name, message) {
    const box = document.getElementById(`${name}-empty`);
    box.hidden = !message;
    box.replaceChildren();
    if (message) box.append(el("p", null, message));
  }

  function showFields(potential) {
    const tbody = document.querySelector("#fields-table tbody");
    const table = document.getElementById("fields-table").closest(".table-scroll");
    if (potential.region) {
      document.getElementById("fields-count-heading").textContent =
        `Organisations in ${intel.placeName(potential.region)}`;
    }
    tbody.replaceChildren(
      ...potential.fields.map((standing) => {
        const tr = el("tr");
        tr.dataset.field = standing.field;
        const field = el("th");
        field.scope = "row";
        const link = el("a", null, `${standing.label} (${standing.field})`);
        const query = new URLSearchParams({ level: "nuts2", field: standing.field });
        if (potential.region) query.set("country", potential.region.slice(0, 2));
        link.href = `/map?${query}`;
        field.append(link);
        const lq = el("td");
        if (standing.specialisation === null) lq.textContent = "no region known";
        else lq.append(intel.lqBar(standing.specialisation));
        tr.append(field, el("td", "num", intel.percent(standing.weight)), el("td", "num", potential.region ? String(standing.count) : "–"), lq);
        return tr;
      })
    );
    intel.labelCells(document.getElementById("fields-table"));
    table.hidden = !potential.fields.length;
    empty("fields", potential.fields.length ? "" : "Its profile has no description, offers or keywords to place it in a technology field.");
  }

  function showPeers(potential, labels) {
    const list = document.getElementById("peer-list");
    list.replaceChildren(
      ...potential.peers.map((peer) => {
        const li = el("li", "peer");
        li.append(intel.orgLink(peer.profile), el("span", "meta", ` · ${intel.orgWhere(peer.profile)} · similarity ${peer.similarity.toFixed(2)}`));
        if (peer.shared_fields.length) {
          li.append(el("p", "hint", `Shared fields: ${peer.shared_fields.map((f) => intel.fieldText(labels, f)).join("; ")}`));
        }
        return li;
      })
    );
    const kind = crosslink.kindLabel(potential.profile.kind);
    empty("peers", potential.peers.length ? "" : `No other organisation of the type “${kind}” with a similar profile in other regions.`);
  }

  function showBridges(potential, labels) {
    const list = document.getElementById("bridge-list");
    list.replaceChildren(...potential.complementary.map((bridge) => intel.renderBridge(bridge, labels)));
    empty(
      "bridges",
      potential.complementary.length
        ? ""
        : "No complementary organisations found: none of its needs is answered by an offer from another field and region, and it answers no one's need. Profiles that say what they are looking for get bridges."
    );
  }

  function showGaps(potential) {
    const tbody = document.querySelector("#gaps-table tbody");
    tbody.replaceChildren(
      ...potential.opportunities.map((gap) => {
        const tr = el("tr");
        tr.dataset.field = gap.field;
        const field = el("th", null, `${gap.label} (${gap.field})`);
        field.scope = "row";
        const here = el("td");
        here.append(`${intel.organisations(gap.count)}, `, intel.lqBar(gap.specialisation));
        const there = el("td");
        const name = gap.neighbour_name ? `${gap.neighbour_name} (${gap.neighbour})` : intel.placeName(gap.neighbour);
        there.append(el("strong", null, name), ` ${intel.organisations(gap.neighbour_count)}, `, intel.lqBar(gap.neighbour_specialisation));
        const examples = el("td");
        examples.append(intel.orgList(gap.examples));
        tr.append(field, here, there, examples);
        return tr;
      })
    );
    intel.labelCells(document.getElementById("gaps-table"));
    document.getElementById("gaps-table").closest(".table-scroll").hidden = !potential.opportunities.length;
    empty(
      "gaps",
      potential.opportunities.length
        ? ""
        : potential.region
          ? "No field where its region is weak and another region of the same country is strong."
          : "Its region is not known, so its region cannot be compared with its neighbours."
    );
  }

  async function load() {
    crosslink.setStatus(status, "loading", "Analysing its potential…");
    article.hidden = true;
    let profile, potential, labels;
    try {
      [profile, potential, labels] = await Promise.all([
        crosslink.api("GET", `/v1/profiles/${id}`),
        crosslink.api("GET", `/v1/clusters/${id}/potential`),
        intel.fieldLabels(),
      ]);
    } catch (error) {
      const missing = error.status === 404;
      const message = missing
        ? `There is no profile number ${id}; it may have been removed or not be analysed yet. Find it with the search or on the competence map.`
        : intel.advice(error);
      crosslink.setStatus(status, "error", message, missing ? null : intel.retryButton(load));
      return;
    }
    document.title = `${profile.name}: potential · crosslink`;
    document.getElementById("cluster-name").textContent = profile.name;
    document.getElementById("cluster-kind").textContent = crosslink.kindLabel(profile.kind);
    document.getElementById("cluster-where").textContent = crosslink.where(profile);
    showFields(potential);
    showPeers(potential, labels);
    showBridges(potential, labels);
    showGaps(potential);
    crosslink.setStatus(status, "", "");
    article.hidden = false;
  }

  load();
})();
