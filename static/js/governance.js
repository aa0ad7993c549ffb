// Decisions, wherever their cards are (the feed, the list, a decision's page): vote inline
// without leaving the page, a live countdown, and the turnout and results kept live over
// Socket.IO. Without JavaScript the forms post and the page reloads.
(function () {
  "use strict";
  const socket = window.terreauSocket;
  const cards = () => Array.from(document.querySelectorAll(".decision-card[data-decision]"));
  if (!cards().length) return;

  function watch(id) {
    if (socket && socket.connected) socket.emit("watch_decision", { decision_id: Number(id) }, () => {});
  }

  async function fetchCard(card) {
    const response = await fetch(card.dataset.cardUrl, { credentials: "same-origin" });
    if (!response.ok) return null;
    const holder = document.createElement("div");
    holder.innerHTML = await response.text();
    return holder.querySelector(".decision-card");
  }

  // Refresh what changes with others' votes (turnout, results), never the vote being filled.
  const pending = new Map();
  function refresh(id) {
    if (pending.has(id)) return;
    pending.set(id, setTimeout(async () => {
      pending.delete(id);
      const card = document.getElementById("decision-" + id);
      if (!card) return;
      const fresh = await fetchCard(card);
      if (!fresh) return;
      for (const selector of ["[data-results]", ".decision-meta"]) {
        const now = card.querySelector(selector);
        const next = fresh.querySelector(selector);
        if (now && next) now.replaceWith(next);
      }
      countdown();
    }, 400));
  }

  function setVoted(id, voted) {
    const card = document.getElementById("decision-" + id);
    const count = card && card.querySelector("[data-voted]");
    if (count) count.textContent = String(voted);
  }

  document.addEventListener("submit", async (event) => {
    const form = event.target.closest("form[data-vote-form]");
    if (!form) return;
    event.preventDefault();
    const card = form.closest(".decision-card");
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" },
      });
      const holder = document.createElement("div");
      holder.innerHTML = await response.text();
      const fresh = holder.querySelector(".decision-card");
      if (fresh) {
        card.replaceWith(fresh);
        watch(fresh.dataset.decision); // a voter may now see the results
        countdown();
        const focus = fresh.querySelector("[role=alert], [role=status]");
        if (focus) { focus.tabIndex = -1; focus.focus(); }
      } else {
        form.submit();
      }
    } catch (error) {
      form.submit();
    }
  });

  // "closes in 2 h 5 min", in the page's language.
  function countdown() {
    const lang = document.documentElement.lang || "fr";
    const format = window.Intl && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat(lang, { numeric: "auto" }) : null;
    if (!format) return;
    for (const time of document.querySelectorAll("time[data-countdown]")) {
      const left = (Date.parse(time.getAttribute("datetime")) - Date.now()) / 60000;
      if (!time.title) time.title = time.textContent;
      if (left <= 0) { time.textContent = time.title; continue; }
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
    if (data.state === "closed") refresh(data.decision_id);
  });
  socket.on("decision_tally", (data) => refresh(data.decision_id));
})();
