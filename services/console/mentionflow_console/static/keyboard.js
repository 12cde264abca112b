// mentionflow console: keyboard shortcuts (j/k move, x select, c claim, r reply, e resolve, n note,
// / saved reply, u back to the queue, ? help) and the bulk form's selection count.
// Written for this project; no framework, no build step. Every shortcut does what a visible,
// labelled control does, so nothing is reachable only by keyboard or only by mouse.
"use strict";

(function () {
  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function say(text) {
    const box = document.getElementById("toasts");
    if (!box) return;
    const note = document.createElement("p");
    note.className = "toast";
    note.textContent = text;
    box.appendChild(note);
    setTimeout(() => note.remove(), 6000);
  }

  // Keys typed into a text field are text, not shortcuts.
  function typing(element) {
    if (!element) return false;
    if (element.isContentEditable || element.tagName === "TEXTAREA" || element.tagName === "SELECT") return true;
    return element.tagName === "INPUT" && !["checkbox", "radio", "button", "submit"].includes(element.type);
  }

  async function post(url) {
    const response = await fetch(url, {
      method: "POST",
      headers: { Accept: "application/json", "X-CSRF-Token": csrfToken() },
    });
    if (response.ok) return true;
    let detail = `error ${response.status}`;
    try {
      const data = await response.json();
      detail = typeof data.detail === "string" ? data.detail : detail;
    } catch (err) {
      // not JSON: keep the status
    }
    say(detail);
    return false;
  }

  // --- help -----------------------------------------------------------------------------------
  function openHelp() {
    const dialog = document.getElementById("kb-help");
    if (dialog && !dialog.open) dialog.showModal();
  }

  function wireHelp() {
    const button = document.getElementById("kb-help-open");
    if (button) button.addEventListener("click", openHelp);
    const close = document.getElementById("kb-help-close");
    if (close) close.addEventListener("click", () => document.getElementById("kb-help").close());
  }

  // --- the queue --------------------------------------------------------------------------------
  function queueKeys() {
    const body = document.getElementById("queue-body");
    if (!body) return null;
    let currentId = null;
    let currentIndex = -1;

    const rows = () => Array.from(body.rows);
    function current() {
      const all = rows();
      const byId = currentId && all.find((tr) => tr.dataset.itemId === currentId);
      if (byId) return byId;
      // the row left the queue (resolved here or elsewhere): its successor takes its place
      return all.length && currentIndex >= 0 ? all[Math.min(currentIndex, all.length - 1)] : null;
    }
    function highlight(tr) {
      rows().forEach((row) => {
        row.classList.toggle("kb-current", row === tr);
        if (row === tr) row.setAttribute("aria-current", "true"); else row.removeAttribute("aria-current");
      });
      if (!tr) return;
      currentId = tr.dataset.itemId;
      currentIndex = rows().indexOf(tr);
      tr.scrollIntoView({ block: "nearest" });
      tr.querySelector(".mention-link").focus();
    }
    function move(step) {
      const all = rows();
      if (!all.length) return;
      const here = current();
      const index = here ? all.indexOf(here) + step : 0;
      highlight(all[Math.max(0, Math.min(index, all.length - 1))]);
    }
    function open(tr, hash) {
      window.location.assign(`/items/${tr.dataset.itemId}${hash || ""}`);
    }

    return async (key) => {
      if (key === "j") { move(1); return true; }
      if (key === "k") { move(-1); return true; }
      const tr = current();
      if (!tr) {
        if ("xcren/o".includes(key)) say("Move to an item first: j / k");
        return "xcren/o".includes(key);
      }
      highlight(tr);
      if (key === "x") {
        const box = tr.querySelector(".select-item");
        box.checked = !box.checked;
        box.dispatchEvent(new Event("change", { bubbles: true }));
      } else if (key === "o") {
        open(tr);
      } else if (key === "c") {
        if (await post(`/api/v1/items/${tr.dataset.itemId}/claim`)) open(tr);
      } else if (key === "r") {
        open(tr, "#reply-text");
      } else if (key === "n") {
        open(tr, "#note-text");
      } else if (key === "/") {
        open(tr, "#saved-reply");
      } else if (key === "e") {
        if (await post(`/api/v1/items/${tr.dataset.itemId}/resolve`)) {
          say("Resolved");
          if (document.getElementById("queue-body").contains(tr)) tr.remove();  // the live update may be later
          highlight(current());
        }
      } else {
        return false;
      }
      return true;
    };
  }

  function bulkSelection() {
    const form = document.getElementById("bulk-form");
    if (!form) return;
    // After a bulk action the page comes back with its outcome: focus it, so it is read out and
    // the keyboard carries on from there (j / k) rather than from the top of the page.
    const outcome = document.getElementById("bulk-result") || document.getElementById("bulk-error");
    if (outcome) {
      outcome.tabIndex = -1;
      outcome.focus();
    }
    const all = document.getElementById("select-all");
    const count = document.getElementById("selected-count");
    const boxes = () => Array.from(document.querySelectorAll(".select-item"));
    const update = () => {
      const chosen = boxes().filter((b) => b.checked).length;
      count.textContent = `${chosen} selected`;
      all.checked = chosen > 0 && chosen === boxes().length;
    };
    document.addEventListener("change", (event) => {
      if (event.target.classList && event.target.classList.contains("select-item")) update();
    });
    all.addEventListener("change", () => {
      boxes().forEach((b) => { b.checked = all.checked; });
      update();
    });
    update();
  }

  // --- one item -------------------------------------------------------------------------------
  function submitAction(name) {
    const form = document.querySelector(`.actions form[action$="/${name}"]`);
    if (form) form.requestSubmit(); else say(`Nothing to ${name} here`);
  }

  function focusBox(id, insert) {
    const box = document.getElementById(id);
    if (!box) { say("This item takes no more replies"); return; }
    box.focus();
    if (insert) {
      const needsSpace = box.value && !/\s$/.test(box.value);
      box.value += (needsSpace ? " " : "") + insert;
      box.selectionStart = box.selectionEnd = box.value.length;
      box.dispatchEvent(new Event("input"));  // the saved-reply picker listens to it
    }
  }

  function itemKeys() {
    if (!document.getElementById("item-status")) return null;
    if (location.hash === "#reply-text") focusBox("reply-text");
    if (location.hash === "#note-text") focusBox("note-text");
    if (location.hash === "#saved-reply") focusBox("reply-text", "/");
    return async (key) => {
      if (key === "c") submitAction("claim");
      else if (key === "e") submitAction("resolve");
      else if (key === "r") focusBox("reply-text");
      else if (key === "n") focusBox("note-text");
      else if (key === "/") focusBox("reply-text", "/");
      else if (key === "u") window.location.assign("/");
      else return false;
      return true;
    };
  }

  document.addEventListener("DOMContentLoaded", () => {
    wireHelp();
    bulkSelection();
    const handle = queueKeys() || itemKeys();
    document.addEventListener("keydown", async (event) => {
      const target = event.target;
      if (target.closest && target.closest('[role="listbox"]')) return;  // the saved-reply list has its own keys
      if (typing(target)) {
        // Ctrl/Cmd+Enter sends the text field's form; Escape leaves the field for the shortcuts.
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && target.form) {
          event.preventDefault();
          target.form.requestSubmit();
        } else if (event.key === "Escape" && !event.defaultPrevented) {
          target.blur();
        }
        return;
      }
      if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
      if (event.key === "?") { event.preventDefault(); openHelp(); return; }
      if (document.querySelector("dialog[open]")) return;
      if (handle && "jkxocrne/u".includes(event.key) && event.key.length === 1) {
        event.preventDefault();
        await handle(event.key);
      }
    });
  });
})();
