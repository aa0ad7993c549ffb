// The tab's one Socket.IO connection, shared by the page scripts (chat.js, feed.js), and the
// notification badge kept live. Pages work without it.
(function () {
  "use strict";
  if (typeof io !== "function") return;
  const socket = io({ transports: ["websocket", "polling"] });
  window.terreauSocket = socket;
  // Run `handler` on every (re)connection, and now if already connected.
  window.terreauOnConnect = (handler) => {
    socket.on("connect", handler);
    if (socket.connected) handler();
  };

  const link = document.getElementById("notification-link");
  const badge = link && link.querySelector(".notification-badge");
  function show(count) {
    if (!badge) return;
    link.dataset.unread = String(count);
    badge.textContent = String(count);
    badge.hidden = count <= 0;
  }
  // A conversation's message notifies only once until it is read: one more unread one.
  const talks = document.getElementById("conversation-link");
  const talksBadge = talks && talks.querySelector(".conversation-badge");
  function showTalks(count) {
    if (!talksBadge) return;
    talks.dataset.unread = String(count);
    talksBadge.textContent = String(count);
    talksBadge.hidden = count <= 0;
  }
  socket.on("unread", (data) => typeof data.conversations === "number" && showTalks(data.conversations));
  socket.on("notification", (data) => {
    show((Number(link && link.dataset.unread) || 0) + 1);
    if (data && data.kind === "direct_message") showTalks((Number(talks && talks.dataset.unread) || 0) + 1);
  });
  socket.on("notifications_read", async () => {
    const response = await fetch("/api/v1/notifications?limit=1", { credentials: "same-origin" });
    if (response.ok) show((await response.json()).unread);
  });
  socket.on("session_ended", () => window.location.reload());

  // "Live updates are interrupted": while this tab is disconnected (after a short grace, so
  // that leaving the page does not flash it) or the server says its message queue is down.
  const notice = document.getElementById("live-notice");
  let connected = true;
  let queueOk = !(notice && !notice.hidden);
  let grace = null;
  function showNotice() {
    if (notice) notice.hidden = connected && queueOk;
  }
  socket.on("live_status", (data) => { queueOk = Boolean(data && data.ok); showNotice(); });
  socket.on("disconnect", () => {
    connected = false;
    grace = window.setTimeout(showNotice, 2000);
  });
  socket.on("connect", () => {
    connected = true;
    window.clearTimeout(grace);
    socket.emit("live_status", {}, (data) => { queueOk = Boolean(data && data.ok); showNotice(); });
  });
})();
