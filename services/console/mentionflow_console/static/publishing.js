// mentionflow console, publishing: the composer's thread (add/remove posts), each post's live
// length as X counts it (asked of the console: one implementation, post_text.weighted_length),
// and the schedule fields shown only when scheduling.
"use strict";

(function () {
  const MAX_PARTS = 25;

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // Each post's length as X counts it, under its textarea (`.part` holding a `.part-counter`);
  // `onResult(anyOver)` hears whether one is over.
  function lengthCounter(form, onResult) {
    let timer = null;
    let sequence = 0;

    async function count() {
      const items = Array.from(form.querySelectorAll(".part"));
      const mine = ++sequence;
      try {
        const response = await fetch(form.dataset.lengthUrl, {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrfToken() },
          body: JSON.stringify({ parts: items.map((li) => li.querySelector("textarea").value) }),
        });
        if (!response.ok || mine !== sequence) return;
        const body = await response.json();
        let anyOver = false;
        body.parts.forEach((part, index) => {
          const item = items[index];
          const counter = item.querySelector(".part-counter");
          counter.textContent = `${part.weighted_length} / ${body.max}`;
          counter.classList.toggle("over", part.over);
          counter.classList.toggle("near", !part.over && part.remaining <= 20);
          item.classList.toggle("invalid", part.over);
          anyOver = anyOver || part.over;
        });
        onResult(anyOver);
      } catch (error) {
        // offline or the session ended: the server checks the length on submit anyway
      }
    }

    form.addEventListener("input", (event) => {
      if (event.target.tagName !== "TEXTAREA") return;
      clearTimeout(timer);
      timer = setTimeout(count, 120);
    });
    return count;
  }

  function setupComposer(form) {
    const list = form.querySelector("#parts");
    const addButton = form.querySelector("#add-part");
    const submit = form.querySelector("#submit-post");
    const count = lengthCounter(form, (anyOver) => { if (submit) submit.disabled = anyOver; });

    function parts() {
      return Array.from(list.querySelectorAll(".part"));
    }

    function renumber() {
      const items = parts();
      items.forEach((li, index) => {
        const area = li.querySelector("textarea");
        const label = li.querySelector(".part-label");
        area.id = `part-${index + 1}`;
        label.htmlFor = area.id;
        label.textContent = items.length > 1 ? `Post ${index + 1} of ${items.length}` : "Post";
        li.querySelector(".remove-part").hidden = items.length === 1;
        li.querySelector(".remove-part").setAttribute("aria-label", `Remove post ${index + 1}`);
      });
      addButton.hidden = items.length >= MAX_PARTS;
    }

    addButton.addEventListener("click", () => {
      const last = parts()[parts().length - 1];
      const copy = last.cloneNode(true);
      copy.classList.remove("invalid");
      const area = copy.querySelector("textarea");
      area.value = "";
      area.placeholder = "Continue the thread…";
      list.appendChild(copy);
      renumber();
      count();
      area.focus();
    });

    list.addEventListener("click", (event) => {
      const button = event.target.closest(".remove-part");
      if (!button || parts().length === 1) return;
      button.closest(".part").remove();
      renumber();
      count();
    });

    const at = form.querySelector("#schedule-at");
    function showSchedule() {
      const later = form.querySelector('input[name="when"][value="later"]').checked;
      at.hidden = !later;
      if (submit && submit.dataset.publishLabel === undefined) submit.dataset.publishLabel = submit.textContent;
      if (submit && !/approval/i.test(submit.dataset.publishLabel)) {
        submit.textContent = later ? "Schedule" : submit.dataset.publishLabel;
      }
    }
    form.querySelectorAll('input[name="when"]').forEach((radio) => radio.addEventListener("change", showSchedule));
    showSchedule();
    renumber();
    count();
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("compose-form");
    if (form) setupComposer(form);
    document.querySelectorAll(".approve-post-form[data-length-url]").forEach((approval) => {
      const button = approval.querySelector('button[type="submit"]');
      lengthCounter(approval, (anyOver) => { button.disabled = anyOver; });
    });
  });
})();
