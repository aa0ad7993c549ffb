// Live availability: a page showing a space's slots hears when someone books or cancels and
// refreshes the counts, so nobody books a slot they saw free a minute ago without being told.
// The page works without this script (plain links and forms).
(function () {
  "use strict";
  const grids = Array.from(document.querySelectorAll("[data-live-grid]"));
  const socket = window.terreauSocket; // the tab's one connection (live.js)
  if (!grids.length || !socket) return;
  const status = document.querySelector(".ws-live-status");
  const spaces = new Map(); // space id → {element, from, days}
  grids.forEach((grid) => {
    grid.querySelectorAll(".ws-space[data-space-id]").forEach((element) => {
      spaces.set(Number(element.dataset.spaceId), {
        element: element,
        from: grid.dataset.from,
        days: Number(grid.dataset.days) || 1,
      });
    });
  });

  window.terreauOnConnect(() => {
    spaces.forEach((_info, id) => socket.emit("watch_space", { space_id: id }, () => {}));
  });
  socket.on("availability_changed", (event) => {
    const info = spaces.get(event.space_id);
    if (info) refresh(event.space_id, info);
  });

  function addDays(isoDate, days) {
    const [y, m, d] = isoDate.split("-").map(Number);
    const date = new Date(Date.UTC(y, m - 1, d + days));
    return date.toISOString().slice(0, 10);
  }

  function localKey(iso) {
    return iso.slice(0, 16); // "2026-03-12T09:30" in the cooperative's time
  }

  async function refresh(spaceId, info) {
    const url = `/api/v1/spaces/${spaceId}/availability?from=${info.from}&to=${addDays(info.from, info.days)}`;
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const data = await response.json();
    let changed = false;
    data.slots.forEach((slot) => {
      const cell = info.element.querySelector(`[data-start="${localKey(slot.start)}"]`);
      if (!cell) return;
      const wasFree = cell.classList.contains("ws-free");
      const isFree = slot.free > 0 && !slot.past;
      const count = cell.querySelector(".ws-free-count");
      if (count && isFree && data.capacity > 1) {
        const text = count.textContent.replace(/\d+/, String(slot.free));
        if (text !== count.textContent) { count.textContent = text; changed = true; }
      }
      if (wasFree && !isFree) {
        cell.classList.remove("ws-free");
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
    if (changed && status) status.textContent = status.dataset.textChanged;
  }

  // Remember each free slot's link, to restore it if the slot frees up again.
  document.querySelectorAll("a.ws-free").forEach((a) => { a.dataset.href = a.getAttribute("href"); });
})();
