"use strict";
// The profile page: the organisation, then its suggested partners in other regions.

(() => {
  const root = document.getElementById("profile-root");
  const id = root.dataset.profileId;
  const status = document.getElementById("profile-status");
  const article = document.getElementById("profile");
  const partners = document.getElementById("partners");
  const partnersStatus = document.getElementById("partners-status");
  const partnerList = document.getElementById("partner-list");

  function fillList(sectionId, listId, items) {
    const list = document.getElementById(listId);
    list.replaceChildren(
      ...items.map((text) => {
        const li = document.createElement("li");
        li.textContent = text;
        return li;
      })
    );
    document.getElementById(sectionId).hidden = !items.length;
  }

  function fact(term, value, href) {
    if (!value) return [];
    const dt = document.createElement("dt");
    dt.textContent = term;
    const dd = document.createElement("dd");
    if (href) {
      const a = document.createElement("a");
      a.href = href;
      a.rel = "noopener";
      a.textContent = value;
      dd.append(a);
    } else {
      dd.textContent = value;
    }
    return [dt, dd];
  }

  const divisions = JSON.parse(document.getElementById("nace-divisions").textContent);

  // "C25.11" -> "C25.11 (Manufacture of fabricated metal products ...)", named by its division.
  function sectorLabel(code) {
    const name = divisions[code.replace(/^[A-Z]/, "").slice(0, 2)];
    return name ? `${code} (${name})` : code;
  }

  function showProfile(profile) {
    document.title = `${profile.name} · crosslink`;
    document.getElementById("profile-name").textContent = profile.name;
    document.getElementById("profile-kind").textContent = crosslink.kindLabel(profile.kind);
    document.getElementById("profile-where").textContent = crosslink.where(profile);
    document.getElementById("profile-description").textContent = profile.description;
    fillList("offers-section", "profile-offers", profile.offers || []);
    fillList("needs-section", "profile-needs", profile.needs || []);
    const contact = profile.contact || {};
    document.getElementById("profile-facts").replaceChildren(
      ...fact("Keywords", (profile.keywords || []).join(", ")),
      ...fact("Sectors (NACE)", (profile.sectors || []).map(sectorLabel).join("; ")),
      ...fact("Languages", (profile.languages || []).join(", ")),
      ...fact("Website", profile.website, profile.website),
      ...fact("Contact", [contact.person, contact.email, contact.phone].filter(Boolean).join(", ")),
      ...fact("Profile number", String(profile.id))
    );
    // Every profile has a potential analysis; for a cluster organisation it is the point.
    if (profile.kind === "cluster") {
      document.getElementById("potential-link").textContent = "Analyse this cluster's potential";
    }
    article.hidden = false;
  }

  async function loadPartners() {
    partners.hidden = false;
    crosslink.setStatus(partnersStatus, "loading", "Looking for partners in other regions…");
    try {
      const [body, marks] = await Promise.all([
        crosslink.api("GET", `/v1/profiles/${id}/matches`),
        crosslinkFeedback.own({ seeker_id: id }).catch(() => new Map()),
      ]);
      if (!body.data.length) {
        crosslink.setStatus(
          partnersStatus,
          "empty",
          "No suggestions yet for this organisation. Search with your own words on the search page."
        );
        return;
      }
      const context = { seeker_id: Number(id) };
      partnerList.replaceChildren(
        ...body.data.map((r) => crosslinkFeedback.attach(crosslink.renderCard(r), r, context, marks))
      );
      crosslink.setStatus(partnersStatus, "", "");
    } catch (error) {
      crosslink.setStatus(partnersStatus, "error", crosslink.advice(error), retryButton(loadPartners));
    }
  }

  function retryButton(action) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = "Try again";
    button.addEventListener("click", action);
    return button;
  }

  async function load() {
    crosslink.setStatus(status, "loading", "Loading the profile…");
    let profile;
    try {
      profile = await crosslink.api("GET", `/v1/profiles/${id}`);
    } catch (error) {
      const message =
        error.status === 404
          ? `There is no profile number ${id}; it may have been removed. Search for partners instead.`
          : crosslink.advice(error);
      crosslink.setStatus(status, "error", message, error.status === 404 ? null : retryButton(load));
      return;
    }
    crosslink.setStatus(status, "", "");
    showProfile(profile);
    crosslinkFeedback.showOwn(
      document.getElementById("own-feedback"),
      document.getElementById("own-feedback-list"),
      id
    );
    loadPartners();
  }

  load();
})();
