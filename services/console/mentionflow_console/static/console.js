// mentionflow console: SLA countdowns, live queue updates (SSE), reply status, reply counter.
// Written for this project; no framework, no build step.
"use strict";

(function () {
  const SOON_SECONDS = 15 * 60;

  function formatLeft(seconds) {
    const abs = Math.abs(seconds);
    const h = Math.floor(abs / 3600), m = Math.floor((abs % 3600) / 60), s = Math.floor(abs % 60);
    const text = h > 0 ? `${h}h ${String(m).padStart(2, "0")}m` : `${m}m ${String(s).padStart(2, "0")}s`;
    return seconds >= 0 ? `in ${text}` : `overdue ${text}`;
  }

  function tickCountdowns() {
    const now = Date.now();
    document.querySelectorAll("[data-sla-due]").forEach((el) => {
      const status = el.dataset.status;
      if (status === "resolved" || status === "replied") {
        el.textContent = status === "resolved" ? "done" : "answered";
        el.className = "sla done";
        return;
      }
      const left = Math.round((Date.parse(el.dataset.slaDue) - now) / 1000);
      el.textContent = formatLeft(left);
      el.className = "sla" + (left < 0 ? " breached" : left < SOON_SECONDS ? " soon" : "");
      el.title = `SLA due ${new Date(el.dataset.slaDue).toLocaleString()}`;
    });
  }

  // --- queue: live rows over server-sent events -------------------------------------------
  function rowKey(tr) {
    return [tr.dataset.priority, tr.dataset.sla, tr.dataset.itemId];
  }

  function compareRows(a, b) {
    const ka = rowKey(a), kb = rowKey(b);
    for (let i = 0; i < ka.length; i++) {
      if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
    }
    return 0;
  }

  function placeRow(body, tr) {
    const after = Array.from(body.rows).find((other) => other !== tr && compareRows(tr, other) < 0);
    body.insertBefore(tr, after || null);
  }

  // A row updated live keeps what the CM is doing with it: the keyboard's current row, the focus.
  function replaceRow(existing, tr) {
    const focused = existing.contains(document.activeElement);
    if (existing.classList.contains("kb-current")) tr.classList.add("kb-current");
    if (existing.hasAttribute("aria-current")) tr.setAttribute("aria-current", "true");
    existing.replaceWith(tr);
    if (focused) tr.querySelector(".mention-link").focus();
  }

  function startQueueStream() {
    const table = document.getElementById("queue-table");
    if (!table || !window.EventSource) return;
    const body = document.getElementById("queue-body");
    const state = document.getElementById("live-state");
    const count = document.getElementById("queue-count");
    const empty = document.getElementById("queue-empty");
    const source = new EventSource(table.dataset.stream);
    source.onopen = () => { state.textContent = "live"; state.classList.add("on"); };
    source.onerror = () => { state.textContent = "reconnecting…"; state.classList.remove("on"); };
    // One `items` event per poll: every change of the queue since the last one, oldest first.
    source.addEventListener("items", (event) => {
      for (const data of JSON.parse(event.data).items) {
        const existing = document.getElementById(`item-${data.item.id}`);
        if (!data.visible) {
          if (existing) existing.remove();
        } else if (!existing || existing.dataset.version !== String(data.item.version)) {
          // (the same version again, from a catch-up, changes nothing)
          const holder = document.createElement("tbody");
          holder.innerHTML = data.html;
          const tr = holder.firstElementChild;
          if (existing) replaceRow(existing, tr); else tr.classList.add("fresh");
          placeRow(body, tr);
        }
      }
      count.textContent = String(body.rows.length);
      empty.hidden = body.rows.length > 0;
      tickCountdowns();
    });
    // The stream fell too far behind (or the page is old): the page itself is the fresh state.
    source.addEventListener("reset", () => { source.close(); window.location.reload(); });
  }

  // --- mention: reply status until every reply is sent or failed --------------------------
  const FINAL = new Set(["sent", "failed"]);

  function watchReplies() {
    const list = document.getElementById("replies");
    if (!list) return;
    const pending = () => Array.from(list.querySelectorAll(".reply-status"))
      .some((el) => !FINAL.has(el.textContent.trim()));
    if (!pending()) return;
    const timer = setInterval(async () => {
      try {
        const response = await fetch(list.dataset.repliesUrl, { headers: { Accept: "application/json" } });
        if (!response.ok) return;
        for (const reply of await response.json()) {
          const li = document.getElementById(`reply-${reply.reply_id}`);
          if (!li) continue;
          const badge = li.querySelector(".reply-status");
          badge.textContent = reply.status;
          badge.className = `reply-status reply-${reply.status}`;
          li.querySelector(".reply-error").textContent = reply.error || "";
        }
        if (!pending()) clearInterval(timer);
      } catch (err) {
        // network blip: try again on the next tick
      }
    }, 1500);
  }

  function replyCounter() {
    const area = document.getElementById("reply-text");
    const counter = document.getElementById("reply-counter");
    if (!area || !counter) return;
    const limit = Number(area.dataset.limit);
    const update = () => {
      const length = Array.from(area.value.trim()).length;
      counter.textContent = `${length} / ${limit}`;
      counter.classList.toggle("over", length > limit);
    };
    area.addEventListener("input", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", () => {
    tickCountdowns();
    setInterval(tickCountdowns, 1000);
    startQueueStream();
    watchReplies();
    replyCounter();
  });
})();
