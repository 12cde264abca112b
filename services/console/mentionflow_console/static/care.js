// mentionflow console: live @mention notifications, and saved replies typed with "/" in the reply box.
// Written for this project; no framework, no build step.
"use strict";

(function () {
  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // --- live notifications of notes that mention me ----------------------------------------
  function toast(text, href) {
    const box = document.getElementById("toasts");
    if (!box) return;
    const link = document.createElement("a");
    link.className = "toast";
    link.href = href;
    link.textContent = text;
    box.appendChild(link);
    setTimeout(() => link.remove(), 15000);
  }

  function watchMentions() {
    const nav = document.getElementById("mentions-link");
    if (!nav || !window.EventSource) return;
    const badge = document.getElementById("mentions-badge");
    let unseen = 0;
    const source = new EventSource(nav.dataset.stream);
    source.addEventListener("mention", (event) => {
      const note = JSON.parse(event.data);
      unseen += 1;
      badge.textContent = String(unseen);
      badge.hidden = false;
      toast(`${note.author} mentioned you on @${note.author_handle}: ${note.body}`, `/items/${note.item_id}#notes`);
    });
  }

  // --- saved replies: "/" and part of a name ------------------------------------------------
  const TRIGGER = /(^|\s)\/([\w-]*)$/;

  function savedReplies() {
    const area = document.getElementById("reply-text");
    const picker = document.getElementById("saved-picker");
    if (!area || !picker || !area.dataset.savedUrl) return;
    const options = document.getElementById("saved-options");
    const fieldsBox = document.getElementById("saved-fields");
    const errorBox = document.getElementById("saved-error");
    let replies = null;
    let trigger = null; // {start, end} of the "/query" being replaced

    // Bumped by each update and each hide: an update still waiting for the list when the person
    // typed on, or closed the list (Escape), shows nothing, so a closed list stays closed.
    let generation = 0;
    const hide = () => {
      generation += 1;
      picker.hidden = true; fieldsBox.replaceChildren(); errorBox.hidden = true;
    };
    const fail = (message) => { errorBox.textContent = message; errorBox.hidden = false; };

    async function load() {
      if (replies === null) {
        const response = await fetch(area.dataset.savedUrl, { headers: { Accept: "application/json" } });
        replies = response.ok ? await response.json() : [];
      }
      return replies;
    }

    async function insert(reply, fields) {
      const response = await fetch(area.dataset.expandBase + reply.id + "/expand", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrfToken() },
        body: JSON.stringify({ fields }),
      });
      const data = await response.json();
      if (!response.ok) {
        const detail = Array.isArray(data.detail) ? data.detail.map((d) => d.msg).join("; ") : data.detail;
        fail(detail || `error ${response.status}`);
        return;
      }
      const value = area.value;
      area.value = value.slice(0, trigger.start) + data.text + value.slice(trigger.end);
      hide();
      area.focus();
      area.dispatchEvent(new Event("input"));
    }

    function choose(reply) {
      fieldsBox.replaceChildren();
      errorBox.hidden = true;
      if (!reply.fields.length) { insert(reply, {}); return; }
      const inputs = reply.fields.map((name) => {
        const label = document.createElement("label");
        label.textContent = name.replace(/_/g, " ");
        const input = document.createElement("input");
        input.name = name;
        input.required = true;
        label.appendChild(input);
        fieldsBox.appendChild(label);
        return input;
      });
      const button = document.createElement("button");
      button.type = "button";
      button.className = "primary";
      button.textContent = "Insert";
      button.setAttribute("aria-label", "Insert saved reply");
      const submit = () => insert(reply, Object.fromEntries(inputs.map((i) => [i.name, i.value])));
      button.addEventListener("click", submit);
      inputs.forEach((i) => i.addEventListener("keydown", (e) => {
        if (e.key === "Enter") { e.preventDefault(); submit(); }
      }));
      fieldsBox.appendChild(button);
      inputs[0].focus();
    }

    async function update() {
      const mine = ++generation;
      const all = await load();
      if (mine !== generation) return;
      const before = area.value.slice(0, area.selectionStart);
      const match = TRIGGER.exec(before);
      if (!match) { hide(); return; }
      trigger = { start: before.length - match[2].length - 1, end: area.selectionStart };
      const query = match[2].toLowerCase();
      const found = all.filter((r) => r.name.toLowerCase().includes(query)).slice(0, 8);
      options.replaceChildren(...found.map((reply, index) => {
        const li = document.createElement("li");
        li.setAttribute("role", "option");
        li.tabIndex = -1;
        li.id = `saved-option-${index}`;
        li.textContent = reply.name;
        const preview = document.createElement("span");
        preview.className = "muted small";
        preview.textContent = ` ${reply.language}${reply.category ? " · " + reply.category : ""} — ${reply.body}`;
        li.appendChild(preview);
        li.addEventListener("mousedown", (e) => { e.preventDefault(); choose(reply); });
        li.addEventListener("keydown", (e) => {
          const next = e.key === "ArrowDown" ? li.nextElementSibling : e.key === "ArrowUp" ? li.previousElementSibling : null;
          if (next) { e.preventDefault(); next.focus(); }
          if (e.key === "Enter") { e.preventDefault(); choose(reply); }
          if (e.key === "Escape") { hide(); area.focus(); }
        });
        return li;
      }));
      fieldsBox.replaceChildren();
      picker.hidden = found.length === 0;
    }

    area.addEventListener("input", update);
    area.addEventListener("keydown", (e) => {
      if (picker.hidden) return;
      if (e.key === "Escape") { e.preventDefault(); hide(); }  // handled: the field keeps the focus (keyboard.js)
      if (e.key === "ArrowDown" && options.firstElementChild) { e.preventDefault(); options.firstElementChild.focus(); }
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    watchMentions();
    savedReplies();
  });
})();
