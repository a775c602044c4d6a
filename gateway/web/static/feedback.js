"use strict";
// Feedback on result cards: "Not relevant" and "Hide" take the card out of this browser's
// results (with an undo), "Mark as contacted" is a toggle. The marks belong to this browser
// (an HttpOnly cookie the gateway sets) and reach /v1/feedback like any API client's.

const crosslinkFeedback = (() => {
  const LABELS = {
    relevant: "Marked relevant",
    not_relevant: "Marked not relevant",
    contacted: "Marked as contacted",
    hide: "Hidden from your results",
  };

  function button(text, className) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = className || "secondary";
    b.textContent = text;
    return b;
  }

  // The marks this browser gave (optionally for one seeker): candidate id -> {signal: mark}.
  async function own(query) {
    const params = new URLSearchParams(query || {});
    const body = await crosslink.api("GET", `/v1/feedback?${params}`);
    const marks = new Map();
    for (const mark of body.data) {
      if (!marks.has(mark.candidate_id)) marks.set(mark.candidate_id, {});
      marks.get(mark.candidate_id)[mark.signal] = mark;
    }
    return marks;
  }

  function post(context, candidateId, signal) {
    return crosslink.api("POST", "/v1/feedback", { ...context, candidate_id: candidateId, signal });
  }

  function undo(mark) {
    return crosslink.api("DELETE", `/v1/feedback/${mark.id}`);
  }

  // Add the controls to a rendered card; `context` is {seeker_id} or {need_text}.
  function attach(card, result, context, marks) {
    const id = result.profile.id;
    const name = result.profile.name;
    const article = card.querySelector("article");
    card.dataset.profileId = String(id);
    const bar = document.createElement("div");
    bar.className = "feedback no-print";
    bar.setAttribute("role", "group");
    bar.setAttribute("aria-label", `Your feedback on ${name}`);
    const notRelevant = button("Not relevant");
    const hide = button("Hide");
    const contacted = button("Mark as contacted");
    const message = document.createElement("p");
    message.className = "feedback-status";
    message.setAttribute("role", "status");
    bar.append(notRelevant, hide, contacted, message);
    article.append(bar);

    const known = (marks && marks.get(id)) || {};
    let contactMark = known.contacted || null;
    contacted.setAttribute("aria-pressed", String(Boolean(contactMark)));

    const dismissed = document.createElement("div");
    dismissed.className = "dismissed";
    dismissed.hidden = true;
    const dismissedText = document.createElement("p");
    const undoButton = button("Undo");
    dismissed.append(dismissedText, undoButton);
    card.append(dismissed);
    let dismissMark = null;

    function fail(error) {
      message.textContent = crosslink.advice(error);
    }

    async function dismiss(signal) {
      message.textContent = "";
      try {
        dismissMark = await post(context, id, signal);
      } catch (error) {
        fail(error);
        return;
      }
      article.hidden = true;
      card.classList.add("is-dismissed");
      dismissedText.textContent =
        signal === "hide" ? `${name} is hidden from your results.` : `${name} marked not relevant; it leaves your results.`;
      dismissed.hidden = false;
      undoButton.focus();
    }

    notRelevant.addEventListener("click", () => dismiss("not_relevant"));
    hide.addEventListener("click", () => dismiss("hide"));
    undoButton.addEventListener("click", async () => {
      try {
        await undo(dismissMark);
      } catch (error) {
        dismissedText.textContent = crosslink.advice(error);
        return;
      }
      dismissMark = null;
      dismissed.hidden = true;
      article.hidden = false;
      card.classList.remove("is-dismissed");
      hide.focus();
    });
    contacted.addEventListener("click", async () => {
      message.textContent = "";
      try {
        if (contactMark) {
          await undo(contactMark);
          contactMark = null;
        } else {
          contactMark = await post(context, id, "contacted");
        }
      } catch (error) {
        fail(error);
        return;
      }
      contacted.setAttribute("aria-pressed", String(Boolean(contactMark)));
      message.textContent = contactMark ? "Marked as contacted." : "No longer marked as contacted.";
    });
    return card;
  }

  // The profile page: this browser's marks on the organisation, each with an undo.
  async function showOwn(section, list, candidateId) {
    let marks;
    try {
      marks = (await crosslink.api("GET", `/v1/feedback?candidate_id=${encodeURIComponent(candidateId)}`)).data;
    } catch (_) {
      return;
    }
    list.replaceChildren(
      ...marks.map((mark) => {
        const li = document.createElement("li");
        const text = document.createElement("span");
        const about = mark.seeker_id ? ` (for profile ${mark.seeker_id})` : "";
        text.textContent = `${LABELS[mark.signal] || mark.signal}${about}${mark.reason ? `: ${mark.reason}` : ""} `;
        const undoButton = button("Undo", "link-button");
        undoButton.setAttribute("aria-label", `Undo: ${LABELS[mark.signal] || mark.signal}${about}`);
        undoButton.addEventListener("click", async () => {
          await undo(mark);
          li.remove();
          section.hidden = !list.children.length;
        });
        li.append(text, undoButton);
        return li;
      })
    );
    section.hidden = !marks.length;
  }

  return { attach, own, showOwn };
})();
