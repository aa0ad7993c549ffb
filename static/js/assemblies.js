// A general assembly's page, kept live over Socket.IO: the quorum meter and its counts
// (`assembly_quorum`), the turnout of the open votes, and the agenda and attendance sheet
// fetched again when the chair opens or closes a vote (`resolution_opened`,
// `resolution_closed`). Without JavaScript every form posts and the page reloads.
(function () {
  "use strict";
  const root = document.getElementById("assembly");
  const socket = window.terreauSocket;
  if (!root || !socket) return;
  const assemblyId = Number(root.dataset.assembly);

  function setText(selector, value) {
    for (const node of root.querySelectorAll(selector)) node.textContent = String(value);
  }

  function showQuorum(data) {
    if (!data || Number(data.assembly_id) !== assemblyId) return;
    const meter = document.getElementById("quorum-meter");
    if (meter) {
      meter.max = data.register;
      meter.value = data.counted;
      meter.textContent = data.counted + "/" + data.register;
    }
    for (const key of ["counted", "register", "present", "online", "represented", "postal"]) {
      if (key in data) setText('[data-quorum="' + key + '"]', data[key]);
    }
    for (const [kind, rule] of Object.entries(data.quorum || {})) {
      const item = root.querySelector('[data-quorum-kind="' + kind + '"]');
      if (!item) continue;
      for (const part of item.querySelectorAll("[data-when]")) {
        part.hidden = (part.dataset.when === "reached") !== Boolean(rule.reached);
      }
    }
    for (const [resolution, votes] of Object.entries(data.turnout || {})) {
      setText('[data-turnout="' + resolution + '"]', votes);
    }
  }

  // Swap the named sections for those of the page fetched again; several events in a burst
  // make one fetch.
  const planned = new Set();
  let timer = null;
  function refresh(...ids) {
    ids.forEach((id) => planned.add(id));
    if (timer) return;
    timer = setTimeout(async () => {
      timer = null;
      const wanted = Array.from(planned);
      planned.clear();
      let fresh;
      try {
        const response = await fetch(window.location.pathname, {
          credentials: "same-origin",
          headers: { "X-Requested-With": "fetch" },
        });
        if (!response.ok) return;
        fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      } catch (error) {
        return; // offline for a moment: the next event brings it
      }
      for (const id of wanted) {
        const now = document.getElementById(id);
        const next = fresh.getElementById(id);
        if (now && next) now.replaceWith(document.adoptNode(next));
      }
    }, 250);
  }

  function watch() {
    socket.emit("watch_assembly", { assembly_id: assemblyId }, (answer) => {
      if (answer && answer.ok) {
        root.dataset.live = "true";
        showQuorum(answer.quorum);
        lastAttendance = attendanceOf(answer.quorum);
      }
    });
  }

  // A vote changes the turnout only; a check-in or a proxy changes the attendance sheet, and
  // maybe the votes one holds (the agenda's forms).
  const attendanceOf = (data) =>
    ["present", "online", "represented", "postal"].map((key) => data[key]).join("/");
  let lastAttendance = null;

  window.terreauOnConnect(watch);
  socket.on("assembly_quorum", (data) => {
    if (!data || Number(data.assembly_id) !== assemblyId) return;
    showQuorum(data);
    const now = attendanceOf(data);
    if (lastAttendance !== null && now !== lastAttendance) refresh("agenda", "attendance");
    lastAttendance = now;
  });
  const onResolution = (data) => {
    if (data && Number(data.assembly_id) === assemblyId) refresh("agenda", "attendance");
  };
  socket.on("resolution_opened", onResolution);
  socket.on("resolution_closed", onResolution);
})();
