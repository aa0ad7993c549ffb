// Decisions, wherever their cards are (the feed, the list, a decision's page): vote inline
// without leaving the page, a live countdown, and the turnout and results kept live over
// Socket.IO. Without JavaScript the forms post and the page reloads.
// A card being watched carries data-live="turnout" or "results" (what its room sends).
(function () {
  "use strict";
  const socket = window.terreauSocket;
  const cards = () => Array.from(document.querySelectorAll(".decision-card[data-decision]"));
  if (!cards().length) return;
  const cardOf = (id) => document.getElementById("decision-" + id);

  function watch(id) {
    if (!socket || !socket.connected) return;
    socket.emit("watch_decision", { decision_id: Number(id) }, (answer) => {
      const card = cardOf(id);
      if (card && answer && answer.ok) card.dataset.live = answer.results ? "results" : "turnout";
    });
  }

  function cardFrom(html) {
    const holder = document.createElement("div");
    holder.innerHTML = html;
    return holder.querySelector(".decision-card");
  }

  async function fetchCard(card) {
    const response = await fetch(card.dataset.cardUrl, { credentials: "same-origin" });
    return response.ok ? cardFrom(await response.text()) : null;
  }

  // Refresh what changes with others' votes (turnout, results), never the vote being filled;
  // once the decision is closed, the whole card (its vote form goes).
  const pending = new Map();
  function refresh(id, whole) {
    const planned = pending.get(id);
    if (planned) {
      planned.whole = planned.whole || whole;
      return;
    }
    const job = { whole };
    pending.set(id, job);
    setTimeout(async () => {
      pending.delete(id);
      const card = cardOf(id);
      if (!card) return;
      let fresh = null;
      try {
        fresh = await fetchCard(card);
      } catch (error) {
        return; // offline for a moment: the next tally brings it
      }
      if (!fresh) return;
      if (job.whole) {
        fresh.dataset.live = card.dataset.live || "";
        card.replaceWith(fresh);
      } else {
        for (const selector of ["[data-results]", ".decision-meta"]) {
          const now = card.querySelector(selector);
          const next = fresh.querySelector(selector);
          if (now && next) now.replaceWith(next);
        }
      }
      countdown();
    }, 300);
  }

  function setVoted(id, voted) {
    const card = cardOf(id);
    const count = card && card.querySelector("[data-voted]");
    if (count) count.textContent = String(voted);
  }

  // A refused vote comes back as the card with its errors: keep what the member filled in.
  function carryOver(from, to) {
    if (!to) return;
    for (const field of from.elements) {
      if (!field.name || field.type === "hidden" || field.type === "submit") continue;
      for (const twin of to.elements) {
        if (twin.name !== field.name) continue;
        if (field.type === "radio" || field.type === "checkbox") {
          if (twin.value === field.value) twin.checked = field.checked;
        } else {
          twin.value = field.value;
        }
      }
    }
  }

  document.addEventListener("submit", async (event) => {
    const form = event.target.closest("form[data-vote-form]");
    if (!form) return;
    event.preventDefault();
    const card = form.closest(".decision-card");
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    let fresh = null;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" },
      });
      fresh = cardFrom(await response.text());
      if (fresh && !response.ok) carryOver(form, fresh.querySelector("form[data-vote-form]"));
    } catch (error) {
      fresh = null;
    }
    if (!fresh) {
      form.submit(); // the plain form: the page reloads with the answer
      return;
    }
    card.replaceWith(fresh);
    watch(fresh.dataset.decision); // a voter may now see the results
    countdown();
    const focus = fresh.querySelector("[role=alert], [role=status]");
    if (focus) {
      focus.tabIndex = -1;
      focus.focus();
    }
  });

  // "closes in 2 hours", in the page's language; the date itself stays in the title.
  const format = window.Intl && Intl.RelativeTimeFormat
    ? new Intl.RelativeTimeFormat(document.documentElement.lang || "fr", { numeric: "auto" })
    : null;
  function countdown() {
    if (!format) return;
    for (const time of document.querySelectorAll("time[data-countdown]")) {
      const left = (Date.parse(time.getAttribute("datetime")) - Date.now()) / 60000;
      if (Number.isNaN(left)) continue;
      if (!time.title) time.title = time.textContent.trim();
      if (left <= 0) {
        time.textContent = time.title;
        continue;
      }
      time.textContent = left < 60 ? format.format(Math.ceil(left), "minute")
        : left < 48 * 60 ? format.format(Math.round(left / 60), "hour")
        : format.format(Math.round(left / 1440), "day");
    }
  }
  countdown();
  setInterval(countdown, 30000);

  if (!socket) return;
  window.terreauOnConnect(() => cards().forEach((card) => watch(card.dataset.decision)));
  socket.on("decision_turnout", (data) => {
    setVoted(data.decision_id, data.turnout.voted);
    if (data.state === "closed") refresh(data.decision_id, true);
  });
  socket.on("decision_tally", (data) => refresh(data.decision_id, data.state === "closed"));
})();
