// Workspaces, on top of pages that work without this script (plain links and forms):
// - live availability: the week grid and the day view hear when someone books or cancels;
// - the week grid: drag over free slots of a day to book that range;
// - the booking form: the end a picked duration gives;
// - my bookings: cancel after a confirmation dialog, copy the calendar address.
(function () {
  "use strict";
  const socket = window.terreauSocket; // the tab's one connection (live.js)
  const status = document.querySelector(".ws-live-status");

  function announce(text) {
    if (status && text) status.textContent = text;
  }

  // --- live availability ------------------------------------------------------------------

  function watch(ids, onChange) {
    if (!socket || !ids.length) return;
    window.terreauOnConnect(() => {
      ids.forEach((id) => socket.emit("watch_space", { space_id: id }, () => {}));
    });
    socket.on("availability_changed", (event) => {
      if (ids.includes(event.space_id)) onChange(event.space_id);
    });
  }

  function addDays(isoDate, days) {
    const [y, m, d] = isoDate.split("-").map(Number);
    return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
  }

  // The day view: a space's row is fetched again, as the server renders it.
  const day = document.querySelector("[data-live-day]");
  if (day) {
    const ids = Array.from(day.querySelectorAll("li[data-space-id]"), (row) =>
      Number(row.dataset.spaceId));
    watch(ids, async (id) => {
      const url = day.dataset.liveDay.replace("/0/", `/${id}/`);
      const response = await fetch(url, { credentials: "same-origin" });
      const row = day.querySelector(`li[data-space-id="${id}"]`);
      if (!response.ok || !row) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html")
        .querySelector("li[data-space-id]");
      if (fresh && fresh.innerHTML !== row.innerHTML) {
        row.replaceWith(document.importNode(fresh, true));
        announce(status && status.dataset.textChanged);
      }
    });
  }

  // The week grid: each slot's state and free seats from the API.
  document.querySelectorAll("[data-live-grid]").forEach((grid) => {
    const table = grid.querySelector(".ws-space[data-space-id]");
    if (!table) return;
    const id = Number(table.dataset.spaceId);
    watch([id], () => refreshGrid(id, table, grid.dataset.from, Number(grid.dataset.days) || 1));
  });

  async function refreshGrid(spaceId, element, from, days) {
    const url = `/api/v1/spaces/${spaceId}/availability?from=${from}&to=${addDays(from, days)}`;
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const data = await response.json();
    let changed = false;
    data.slots.forEach((slot) => {
      const cell = element.querySelector(`[data-start="${slot.start.slice(0, 16)}"]`);
      if (!cell) return;
      const wasFree = cell.classList.contains("ws-free");
      const isFree = slot.free > 0 && !slot.past;
      const count = cell.querySelector(".ws-free-count");
      if (count && isFree && data.capacity > 1) {
        const text = count.textContent.replace(/\d+/, String(slot.free));
        if (text !== count.textContent) { count.textContent = text; changed = true; }
      }
      if (wasFree && !isFree) {
        cell.classList.remove("ws-free", "ws-picked");
        cell.classList.add("ws-taken");
        cell.removeAttribute("href");
        cell.setAttribute("aria-disabled", "true");
        changed = true;
      } else if (!wasFree && isFree && cell.classList.contains("ws-taken")) {
        cell.classList.remove("ws-taken");
        cell.classList.add("ws-free");
        cell.removeAttribute("aria-disabled");
        if (cell.dataset.href) cell.setAttribute("href", cell.dataset.href);
        changed = true;
      } else if (!wasFree && isFree && cell.classList.contains("ws-full")) {
        window.location.reload(); // a full slot freed up: show its booking link
      }
    });
    if (changed) announce(status && status.dataset.textChanged);
  }

  // Remember each free slot's link, to restore it if the slot frees up again.
  document.querySelectorAll("a.ws-free").forEach((a) => { a.dataset.href = a.getAttribute("href"); });

  // --- the week grid: drag a range ----------------------------------------------------------
  // Press on a free slot, move over the next free slots of the same day, release: the
  // booking form opens with that range. A plain click still books the one slot.

  const week = document.querySelector("table.ws-week.ws-space");
  if (week) {
    let first = null;
    let picked = [];
    const dayOf = (slot) => slot.dataset.start.slice(0, 10);

    function range(from, to) {
      // the free slots of from's day between from and to, if none between is taken
      const slots = Array.from(week.querySelectorAll(".ws-slot[data-start]"))
        .filter((s) => dayOf(s) === dayOf(from))
        .sort((a, b) => a.dataset.start.localeCompare(b.dataset.start));
      const [low, high] = [from, to].sort((a, b) => a.dataset.start.localeCompare(b.dataset.start));
      const chosen = slots.slice(slots.indexOf(low), slots.indexOf(high) + 1);
      return chosen.every((s) => s.classList.contains("ws-free")) ? chosen : null;
    }

    function show(slots) {
      picked.forEach((s) => s.classList.remove("ws-picked"));
      picked = slots;
      picked.forEach((s) => s.classList.add("ws-picked"));
    }

    week.addEventListener("pointerdown", (event) => {
      const slot = event.target.closest("a.ws-free[data-start]");
      if (!slot || event.button !== 0) return;
      event.preventDefault(); // no native link drag
      first = slot;
      show([slot]);
    });
    week.addEventListener("pointerover", (event) => {
      const slot = event.target.closest(".ws-slot[data-start]");
      if (!first || !slot || dayOf(slot) !== dayOf(first)) return;
      const slots = range(first, slot);
      if (slots) show(slots);
    });
    document.addEventListener("pointerup", () => {
      if (!first) return;
      const slots = picked;
      first = null;
      if (slots.length > 1) {
        const url = new URL(slots[0].getAttribute("href"), window.location.href);
        url.searchParams.set("end", slots[slots.length - 1].dataset.end);
        window.location.assign(url.toString());
      } else {
        show([]); // a plain click: the link is followed
      }
    });
  }

  // --- the booking form: the end of the picked duration -----------------------------------

  const form = document.querySelector("form.ws-book");
  const ends = form && form.querySelector(".ws-ends");
  if (ends) {
    const start = form.querySelector("[name=start]");
    const duration = form.querySelector("[name=duration]");
    const end = form.querySelector("[name=end]");
    const update = () => {
      const match = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)/.exec(start.value);
      if (!match || end.value) { ends.hidden = true; return; }
      const minutes = Number(match[4]) * 60 + Number(match[5]) + Number(duration.value);
      const time = `${String(Math.floor(minutes / 60) % 24).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
      ends.textContent = ends.dataset.text.replace("{time}", time);
      ends.hidden = false;
    };
    [start, duration, end].forEach((field) => field.addEventListener("input", update));
    [start, duration, end].forEach((field) => field.addEventListener("change", update));
    update();
  }

  // --- my bookings: cancel after a confirmation, copy the calendar address -----------------

  const dialog = document.querySelector("dialog.ws-cancel-dialog");
  if (dialog && typeof dialog.showModal === "function") {
    document.querySelectorAll("a[data-cancel]").forEach((link) => {
      link.addEventListener("click", (event) => {
        event.preventDefault();
        dialog.querySelector("form").setAttribute("action", link.dataset.cancel);
        dialog.querySelector(".ws-cancel-what").textContent = link.dataset.what;
        dialog.showModal();
      });
    });
    dialog.querySelector("[data-close]").addEventListener("click", () => dialog.close());
  }

  document.querySelectorAll("button[data-copy]").forEach((button) => {
    const field = document.getElementById(button.dataset.copy);
    const said = button.parentElement.querySelector(".ws-copy-status");
    if (!field || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(field.value);
      } catch (_error) {
        field.select(); // the member copies it by hand
        return;
      }
      if (said) said.textContent = button.dataset.copied;
    });
  });
})();
