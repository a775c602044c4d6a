"use strict";
// An organisation picker: a text input with suggestions as you type (WAI-ARIA combobox with a
// listbox popup): Arrow keys move through the suggestions, Enter picks one, Escape closes them.
// Suggestions come from GET /v1/profiles?q= ; the chosen profile's id is kept in
// input.dataset.profileId. A typed number is still accepted as a profile number.

const combobox = (() => {
  const DEBOUNCE_MS = 200;
  const SUGGESTIONS = 8;

  function attach(input, listbox, announce) {
    let options = [];
    let active = -1;
    let timer = null;
    let run = 0;

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listbox.id);
    listbox.setAttribute("role", "listbox");

    function close() {
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      active = index;
      Array.from(listbox.children).forEach((li, i) => li.setAttribute("aria-selected", String(i === index)));
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", listbox.children[index].id);
        listbox.children[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(index) {
      const profile = options[index];
      if (!profile) return;
      input.value = profile.name;
      input.dataset.profileId = String(profile.id);
      input.dataset.chosenName = profile.name;
      close();
      announce(`${profile.name} chosen.`);
      input.dispatchEvent(new CustomEvent("profile-chosen", { detail: profile }));
    }

    function render(found) {
      options = found;
      listbox.replaceChildren(
        ...found.map((profile, i) => {
          const li = document.createElement("li");
          li.id = `${listbox.id}-${i}`;
          li.setAttribute("role", "option");
          li.setAttribute("aria-selected", "false");
          const name = document.createElement("span");
          name.className = "option-name";
          name.textContent = profile.name;
          const where = document.createElement("span");
          where.className = "option-meta";
          where.textContent = ` ${crosslink.where(profile)} · no. ${profile.id}`;
          li.append(name, where);
          li.addEventListener("mousedown", (event) => event.preventDefault()); // keep the focus
          li.addEventListener("click", () => choose(i));
          return li;
        })
      );
      const open = found.length > 0;
      listbox.hidden = !open;
      input.setAttribute("aria-expanded", String(open));
      active = -1;
      announce(open ? `${found.length} suggestion${found.length === 1 ? "" : "s"}; use the arrow keys.` : "No organisation with that name.");
    }

    async function suggest() {
      const text = input.value.trim();
      const mine = ++run;
      if (text.length < 2 || /^\d+$/.test(text)) {
        close();
        return;
      }
      try {
        const body = await crosslink.api("GET", `/v1/profiles?${new URLSearchParams({ q: text, limit: String(SUGGESTIONS) })}`);
        if (mine === run && input.value.trim() === text) render(body.data);
      } catch (_) {
        if (mine === run) close(); // typing a number still works
      }
    }

    input.addEventListener("input", () => {
      if (input.value !== input.dataset.chosenName) delete input.dataset.profileId;
      clearTimeout(timer);
      timer = setTimeout(suggest, DEBOUNCE_MS);
    });
    input.addEventListener("keydown", (event) => {
      const open = !listbox.hidden && options.length;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open) suggest();
        else highlight((active + 1) % options.length);
      } else if (event.key === "ArrowUp" && open) {
        event.preventDefault();
        highlight(active <= 0 ? options.length - 1 : active - 1);
      } else if (event.key === "Enter" && open && active >= 0) {
        event.preventDefault(); // picking a suggestion does not submit the form
        choose(active);
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", close);

    // Show a profile chosen elsewhere (a number from the address) by its name.
    async function preset(id) {
      input.value = String(id);
      input.dataset.profileId = String(id);
      try {
        const profile = await crosslink.api("GET", `/v1/profiles/${encodeURIComponent(id)}`);
        if (input.value === String(id)) {
          input.value = profile.name;
          input.dataset.chosenName = profile.name;
        }
      } catch (_) {
        // the number stays; planning says if it is unknown
      }
    }

    return { preset, close };
  }

  return { attach };
})();
