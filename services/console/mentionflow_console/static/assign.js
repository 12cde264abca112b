// mentionflow console: the availability switch in the top bar (auto-assignment).
// Without JavaScript the form posts to /availability; with it, it shows the current state and
// sets it in place. Written for this project; no framework, no build step.
"use strict";

(function () {
  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function show(state, output, modes) {
    modes.value = state.mode;
    const onShift = state.teams.filter((t) => t.available).map((t) => t.team);
    const taking = state.mode === "available" || (state.mode === "auto" && onShift.length > 0);
    output.textContent = `${taking ? "taking items" : "not taking items"} · ${state.open_items} open`;
    output.dataset.mode = state.mode;
  }

  function setUp() {
    const form = document.getElementById("availability-form");
    if (!form) return;
    const modes = form.elements.namedItem("mode");  // the radio buttons, read and set as one value
    const output = document.getElementById("availability-state");
    // The state as the page opens; once the person has touched the switch, theirs is newer.
    let set = false;
    document.getElementById("availability-mode").addEventListener("change", () => { set = true; });
    fetch("/api/v1/availability", { credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : null))
      .then((state) => { if (state && !set) show(state, output, modes); });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      set = true;
      fetch("/api/v1/availability", {
        method: "PUT", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
        body: JSON.stringify({ mode: modes.value }),
      }).then((response) => response.json().then((body) => {
        if (!response.ok) { output.textContent = "could not set availability"; return; }
        show(body, output, modes);
      }));
    });
  }

  document.addEventListener("DOMContentLoaded", setUp);
})();
