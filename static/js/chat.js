// Live chat: messages, typing, presence, unread counts, and sending that survives a dropped
// connection. The page works without this script (plain forms); this makes it live.
(function () {
  "use strict";
  const root = document.getElementById("chat");
  const socket = window.terreauSocket; // the tab's one connection (live.js)
  if (!root || !socket) return;

  const me = Number(root.dataset.me);
  const channelId = Number(root.dataset.channelId) || null;
  const threadId = Number(root.dataset.threadId) || null;
  const live = root.dataset.live === "1";
  const text = root.dataset;
  const history = document.getElementById("chat-history");
  const composer = document.getElementById("chat-composer");
  const typingLine = root.querySelector(".chat-typing");
  const statusLine = root.querySelector(".chat-status");
  let lastSeenId = Number(root.dataset.lastId) || 0;
  const pending = new Map(); // client_id → {body, element, threadId}
  const typers = new Map(); // member id → {name, timer}

  // --- channel list: join every channel to hear it, keep unread counts live -------------
  const UNREAD_COUNTED = 100; // the server counts up to there (network/chat/queries.py)
  function sidebarLinks() {
    return Array.from(document.querySelectorAll(".chat-channel-link[data-channel-id]"));
  }
  function badge(id, cls, value) {
    const link = document.querySelector(`.chat-channel-link[data-channel-id="${id}"]`);
    if (!link) return;
    const el = link.querySelector(cls);
    el.querySelector(".n").textContent = value >= UNREAD_COUNTED ? "99+" : String(value);
    el.dataset[cls === ".chat-unread" ? "unread" : "mentions"] = String(value);
    el.hidden = value <= 0;
  }
  function bump(id, cls) {
    const link = document.querySelector(`.chat-channel-link[data-channel-id="${id}"]`);
    if (!link) return;
    const key = cls === ".chat-unread" ? "unread" : "mentions";
    const current = Number(link.querySelector(cls).dataset[key]) || 0;
    badge(id, cls, current + 1);
  }

  function joinAll() {
    const ids = new Set(sidebarLinks().map((a) => Number(a.dataset.channelId)));
    ids.forEach((id) => {
      if (id !== channelId) socket.emit("join", { channel_id: id }, () => {});
    });
    if (!channelId) return Promise.resolve();
    return new Promise((resolve) => {
      const payload = { channel_id: channelId };
      // Catch up on what came since the page was made or the connection dropped (the
      // first connection too: a message may land between the page and the socket).
      if (live) payload.after = lastSeenId;
      socket.emit("join", payload, (answer) => {
        if (answer && answer.ok) {
          (answer.messages || []).forEach(showMessage);
          Object.entries(answer.presence || {}).forEach(([id, status]) => setPresence(id, status));
          if (answer.more) window.location.reload(); // too much missed: start from the page
        }
        resolve();
      });
    });
  }

  // --- rendering -------------------------------------------------------------------------
  function el(tag, cls, content) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (content !== undefined) node.textContent = content;
    return node;
  }

  function belongsHere(message) {
    if (message.channel_id !== channelId) return false;
    return threadId ? message.thread_id === threadId : !message.thread_id;
  }

  function messageElement(message) {
    const item = el("li", "chat-message");
    item.id = "m" + message.id;
    item.dataset.messageId = String(message.id);
    item.dataset.authorId = String(message.author.id);
    if (message.body) item.dataset.body = message.body;
    const meta = el("div", "chat-meta");
    const author = el("a", "chat-author", message.author.name);
    author.href = "/members/" + message.author.id;
    const time = el("a", "chat-time");
    time.href = "/chat/messages/" + message.id;
    const stamp = el("time", "", new Date(message.created_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }));
    stamp.dateTime = message.created_at.replace(/(\.\d{3})\d+/, "$1"); // HTML: 3 fractional digits at most
    time.appendChild(stamp);
    meta.append(author, " ", time);
    const body = el("div", "chat-body prose");
    body.innerHTML = message.body_html; // sanitised by the server (Markdown + allow-list)
    item.append(meta, body);
    if ((message.images || []).length) {
      const box = el("div", "chat-images");
      message.images.forEach((url) => {
        const link = el("a");
        link.href = url;
        const image = el("img");
        image.src = url;
        image.alt = text.textImage;
        image.loading = "lazy";
        link.appendChild(image);
        box.appendChild(link);
      });
      item.appendChild(box);
    }
    const actions = actionsFor(message);
    if (actions) item.appendChild(actions);
    if (!threadId && !message.thread_id) {
      const replies = el("p", "chat-replies");
      const link = el("a", "", repliesText(message.reply_count || 0));
      link.href = `/chat/${message.channel_id}/threads/${message.id}`;
      replies.appendChild(link);
      replies.hidden = !message.reply_count;
      item.appendChild(replies);
    }
    return item;
  }

  // The same actions as the messages of the page (react, reply, edit, delete), from the
  // page's template: its forms work without this script too.
  const actionsTemplate = document.getElementById("chat-actions-template");
  function actionsFor(message) {
    if (!actionsTemplate) return null;
    const form = actionsTemplate.content.firstElementChild.cloneNode(true);
    const id = String(message.id);
    form.action = form.getAttribute("action").replace("__ID__", id);
    form.querySelectorAll("[href], [formaction]").forEach((node) => {
      const name = node.hasAttribute("href") ? "href" : "formaction";
      node.setAttribute(name, node.getAttribute(name).replace("__ID__", id));
    });
    const mine = message.author.id === me;
    const remove = (what) => form.querySelectorAll(`[data-action="${what}"]`).forEach((n) => n.remove());
    if (threadId || message.thread_id) remove("reply");
    if (!mine) remove("edit");
    if (!mine && root.dataset.canManage !== "1") remove("delete");
    return form;
  }

  function repliesText(count) {
    const rule = new Intl.PluralRules(document.documentElement.lang || "fr").select(count);
    return (rule === "one" ? text.textRepliesOne : text.textRepliesOther).replace("{n}", String(count));
  }

  function showMessage(message) {
    lastSeenId = Math.max(lastSeenId, message.id);
    if (message.thread_id && !threadId) updateReplies(message.thread_id, message.root_reply_count);
    const threadTitle = threadId && message.thread_id === threadId && root.querySelector(".chat-thread-title");
    if (threadTitle && message.root_reply_count) threadTitle.textContent = repliesText(message.root_reply_count);
    if (!history || !belongsHere(message)) return;
    if (document.getElementById("m" + message.id)) return; // already shown
    const waiting = message.author.id === me && pending.get(message.client_id);
    const item = messageElement(message);
    if (waiting) {
      waiting.element.replaceWith(item);
      pending.delete(message.client_id);
    } else {
      history.appendChild(item);
    }
    const empty = root.querySelector(".chat-empty");
    if (empty) empty.remove();
    clearTyping(message.author.id);
    item.scrollIntoView({ block: "end" });
  }

  function updateReplies(rootId, count) {
    const item = document.getElementById("m" + rootId);
    const line = item && item.querySelector(".chat-replies");
    if (!line || !count) return;
    line.querySelector("a").textContent = repliesText(count);
    line.hidden = false;
  }

  // --- acting on a message in place: reactions, edits, deletions through the API ---------
  // (the socket's events then update every tab, this one included)
  function showReaction(item, emoji, count, mine) {
    const box = item.querySelector(".chat-reactions");
    if (!box) return;
    let button = Array.from(box.querySelectorAll(".reaction")).find((b) => b.dataset.emoji === emoji);
    if (!button) {
      button = el("button", "reaction");
      button.type = "submit";
      button.name = "reaction";
      button.dataset.emoji = emoji;
      button.append(emoji + " ", el("span", "n", "0"));
      box.insertBefore(button, box.querySelector(".chat-actions"));
    }
    button.querySelector(".n").textContent = String(count);
    button.hidden = count === 0;
    if (mine !== null && mine !== undefined) {
      button.classList.toggle("mine", mine);
      button.setAttribute("aria-pressed", mine ? "true" : "false");
    }
    button.value = (button.classList.contains("mine") ? "-" : "+") + emoji;
  }

  function callApi(method, path, body) {
    const token = document.querySelector('meta[name="csrf-token"]');
    const headers = { "X-CSRFToken": token ? token.content : "", Accept: "application/json" };
    if (body) headers["Content-Type"] = "application/json";
    return fetch("/api/v1" + path, {
      method,
      headers,
      credentials: "same-origin",
      body: body ? JSON.stringify(body) : undefined,
    }).then(async (response) => {
      const answer = await response.json().catch(() => ({}));
      if (!response.ok) setStatus(answer.detail || answer.title || text.textNotSent);
      return response.ok ? answer : null;
    });
  }

  function messageOf(node) {
    const item = node.closest(".chat-message[data-message-id]");
    return item ? { item, id: item.dataset.messageId } : null;
  }

  function startEditing(item, id) {
    if (item.querySelector(".chat-edit-inline")) return;
    const body = item.querySelector(".chat-body");
    const form = el("form", "chat-edit-inline");
    const area = el("textarea");
    area.rows = 3;
    area.maxLength = 4000;
    area.setAttribute("aria-label", text.textSave);
    const save = el("button", "button button-small", text.textSave);
    save.type = "submit";
    const cancel = el("button", "link-button", text.textCancel);
    cancel.type = "button";
    form.append(area, " ", save, " ", cancel);
    body.hidden = true;
    body.after(form);
    area.value = item.dataset.body || body.textContent.trim();
    area.focus();
    const close = () => { form.remove(); body.hidden = false; };
    cancel.addEventListener("click", close);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      callApi("PATCH", `/messages/${id}`, { body: area.value }).then((answer) => {
        if (!answer) return;
        applyEdit(answer);
        close();
      });
    });
  }

  function applyEdit(message) {
    const item = document.getElementById("m" + message.id);
    if (!item) return;
    item.querySelector(".chat-body").innerHTML = message.body_html;
    if (message.body) item.dataset.body = message.body;
    if (!item.querySelector(".chat-edited")) {
      const edited = el("a", "chat-edited muted", text.textEdited);
      edited.href = `/chat/messages/${message.id}/edits`;
      item.querySelector(".chat-meta").append(" ", edited);
    }
  }

  document.addEventListener("click", (event) => {
    const target = event.target.closest("button[name=reaction], [data-action=edit], [data-action=delete]");
    const found = target && messageOf(target);
    if (!found) return;
    event.preventDefault();
    const details = target.closest("details");
    if (details) details.open = false;
    if (target.name === "reaction") {
      const emoji = target.value.slice(1);
      const adding = target.value.startsWith("+");
      callApi(adding ? "PUT" : "DELETE", `/messages/${found.id}/reactions/${encodeURIComponent(emoji)}`).then((answer) => {
        if (answer) showReaction(found.item, emoji, answer.count, adding);
      });
    } else if (target.dataset.action === "edit") {
      startEditing(found.item, found.id);
    } else if (window.confirm(text.textConfirmDelete)) {
      callApi("DELETE", `/messages/${found.id}`).then((answer) => answer !== null && showDeleted(found.id));
    }
  });

  // --- sending: idempotent by client id, queued while offline, never silently lost --------
  function newClientId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  function sendPending(clientId) {
    const entry = pending.get(clientId);
    if (!entry) return;
    entry.element.classList.remove("failed");
    entry.state.textContent = text.textSending;
    if (!socket.connected) return; // sent again on reconnection
    socket.timeout(10000).emit(
      "send",
      { channel_id: channelId, body: entry.body, client_id: clientId, thread_id: entry.threadId },
      (err, answer) => {
        if (err) return markFailed(clientId, text.textNotSent);
        if (answer.ok) return showMessage(answer.message);
        markFailed(clientId, answer.error);
      }
    );
  }

  function markFailed(clientId, reason) {
    const entry = pending.get(clientId);
    if (!entry) return;
    entry.element.classList.add("failed");
    entry.state.textContent = reason + " ";
    const retry = el("button", "link-button", text.textRetry);
    retry.type = "button";
    retry.addEventListener("click", () => sendPending(clientId));
    entry.state.appendChild(retry);
  }

  // --- @mention suggestions: a listbox under the composer, fed by the channel's members ---
  function mentionSuggestions(input) {
    const list = el("ul", "plain chat-mention-list");
    list.id = "chat-mention-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", text.textMentions);
    list.hidden = true;
    input.after(list);
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");
    let choices = [];
    let active = -1;
    let timer = null;
    let asked = 0;

    function typedName() {
      const before = input.value.slice(0, input.selectionStart);
      const match = /(^|[^\w@/])@([\p{L}'’-]*)$/u.exec(before);
      return match ? match[2] : null;
    }
    function close() {
      list.hidden = true;
      list.replaceChildren();
      choices = [];
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }
    function highlight(index) {
      active = index;
      Array.from(list.children).forEach((option, i) => option.setAttribute("aria-selected", i === index ? "true" : "false"));
      if (index >= 0) input.setAttribute("aria-activedescendant", list.children[index].id);
    }
    function choose(index) {
      const choice = choices[index];
      const typed = typedName();
      if (!choice || typed === null) return close();
      const caret = input.selectionStart;
      const start = caret - typed.length - 1;
      input.value = input.value.slice(0, start) + choice.mention + " " + input.value.slice(caret);
      const after = start + choice.mention.length + 1;
      input.setSelectionRange(after, after);
      close();
      input.focus();
    }
    function show(items) {
      choices = items;
      list.replaceChildren();
      items.forEach((item, i) => {
        const option = el("li", "chat-mention-option", item.name);
        option.id = "chat-mention-" + item.id;
        option.setAttribute("role", "option");
        option.addEventListener("mousedown", (event) => {
          event.preventDefault(); // keep the focus in the composer
          choose(i);
        });
        list.appendChild(option);
      });
      list.hidden = !items.length;
      input.setAttribute("aria-expanded", items.length ? "true" : "false");
      highlight(items.length ? 0 : -1);
    }
    input.addEventListener("input", () => {
      const typed = typedName();
      clearTimeout(timer);
      if (typed === null) return close();
      const ask = ++asked;
      timer = setTimeout(async () => {
        const response = await fetch(`/api/v1/channels/${channelId}/mentions?q=${encodeURIComponent(typed)}`, { credentials: "same-origin" });
        if (!response.ok || ask !== asked) return;
        show((await response.json()).items);
      }, 150);
    });
    input.addEventListener("blur", () => setTimeout(close, 100));
    // Returns true when the key was for the list (the composer then ignores it).
    return function onKey(event) {
      if (list.hidden || !choices.length) return false;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        const step = event.key === "ArrowDown" ? 1 : -1;
        highlight((active + step + choices.length) % choices.length);
      } else if (event.key === "Enter" || event.key === "Tab") {
        choose(active);
      } else if (event.key === "Escape") {
        close();
      } else {
        return false;
      }
      event.preventDefault();
      return true;
    };
  }

  if (composer && history) {
    const input = composer.querySelector("textarea");
    const mentionKey = channelId ? mentionSuggestions(input) : () => false;
    const files = composer.querySelector("input[type=file]");
    composer.addEventListener("submit", (event) => {
      event.preventDefault();
      if (files && files.files.length) return sendWithImages();
      const body = input.value.trim();
      if (!body) return;
      const clientId = newClientId();
      const item = el("li", "chat-message pending");
      const meta = el("div", "chat-meta");
      const state = el("span", "chat-state muted", text.textSending);
      meta.appendChild(state);
      const content = el("div", "chat-body prose");
      content.textContent = body;
      item.append(meta, content);
      history.appendChild(item);
      pending.set(clientId, { body, element: item, state, threadId });
      input.value = "";
      sendPending(clientId);
    });
    // Images go through the API as a multipart form; the message then comes back.
    function sendWithImages() {
      const form = new FormData();
      form.append("body", input.value.trim());
      form.append("client_id", newClientId());
      if (threadId) form.append("thread_id", String(threadId));
      Array.from(files.files).forEach((file) => form.append("images", file));
      setStatus(text.textSending);
      const token = document.querySelector('meta[name="csrf-token"]');
      fetch(`/api/v1/channels/${channelId}/messages`, {
        method: "POST",
        body: form,
        credentials: "same-origin",
        headers: { "X-CSRFToken": token ? token.content : "", Accept: "application/json" },
      }).then(async (response) => {
        const answer = await response.json().catch(() => ({}));
        if (!response.ok) {
          const fields = Object.values(answer.errors || {});
          return setStatus(fields.length ? fields.join(" ") : answer.detail || answer.title || text.textNotSent);
        }
        setStatus("");
        input.value = "";
        files.value = "";
        showMessage(answer);
      });
    }
    input.addEventListener("keydown", (event) => {
      if (mentionKey(event)) return;
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        composer.requestSubmit();
      }
    });
    let lastTyping = 0;
    input.addEventListener("input", () => {
      const now = Date.now();
      if (now - lastTyping < 3000 || !socket.connected) return;
      lastTyping = now;
      socket.emit("typing", { channel_id: channelId, thread_id: threadId }, () => {});
    });
  }

  // --- typing, presence, read markers ---------------------------------------------------
  function renderTyping() {
    if (!typingLine) return;
    const names = Array.from(typers.values()).map((t) => t.name);
    if (!names.length) typingLine.textContent = "";
    else if (names.length === 1) typingLine.textContent = text.textTyping.replace("{name}", names[0]);
    else typingLine.textContent = text.textTypingMany;
  }
  function clearTyping(memberId) {
    const entry = typers.get(memberId);
    if (entry) clearTimeout(entry.timer);
    typers.delete(memberId);
    renderTyping();
  }

  function setPresence(memberId, status) {
    document.querySelectorAll(`[data-presence-member="${memberId}"]`).forEach((node) => {
      node.dataset.presence = status;
      const label = node.querySelector(".presence-label");
      if (label) label.textContent = label.dataset[status] || status;
    });
  }

  let readTimer = null;
  function markRead() {
    if (!channelId || !live || root.dataset.member !== "1" || document.hidden) return;
    clearTimeout(readTimer);
    readTimer = setTimeout(() => {
      socket.emit("read", { channel_id: channelId, message_id: lastSeenId }, () => {});
      badge(channelId, ".chat-unread", 0);
      badge(channelId, ".chat-mentions", 0);
    }, 500);
  }

  function setStatus(message) {
    if (!statusLine) return;
    statusLine.textContent = message;
    statusLine.hidden = !message;
  }

  // The latest messages are in view on arrival (unless the address points at one).
  if (history && live && !window.location.hash && history.lastElementChild) {
    history.lastElementChild.scrollIntoView({ block: "end" });
  }

  // --- server events --------------------------------------------------------------------
  window.terreauOnConnect(async () => {
    setStatus("");
    await joinAll();
    pending.forEach((_entry, clientId) => sendPending(clientId));
    socket.emit("presence", { status: document.hidden ? "away" : "online" }, () => {});
    markRead();
  });
  socket.on("disconnect", () => setStatus(text.textOffline));
  // The message queue is back (live_status, see live.js): catch up on what it did not carry.
  socket.on("live_status", (data) => { if (data && data.ok) joinAll(); });

  socket.on("message", (message) => {
    if (message.channel_id === channelId && live) {
      showMessage(message);
      markRead();
    } else if (message.author.id !== me) {
      bump(message.channel_id, ".chat-unread");
      if (message.everyone || (message.mentions || []).includes(me)) bump(message.channel_id, ".chat-mentions");
    }
  });
  socket.on("message_edited", applyEdit);
  function showDeleted(id) {
    const item = document.getElementById("m" + id);
    if (!item || item.classList.contains("deleted")) return;
    item.classList.add("deleted");
    item.querySelectorAll(".chat-body, .chat-reactions, .chat-actions, .chat-edited, .chat-edit-inline").forEach((n) => n.remove());
    item.querySelector(".chat-meta").after(el("p", "chat-body muted", text.textDeleted));
  }
  socket.on("message_deleted", (data) => showDeleted(data.id));
  socket.on("reaction", (data) => {
    const item = document.getElementById("m" + data.message_id);
    if (!item) return;
    showReaction(item, data.emoji, data.count, data.member_id === me ? data.added : null);
  });
  socket.on("typing", (data) => {
    if (data.channel_id !== channelId || (data.thread_id || null) !== threadId) return;
    clearTyping(data.member.id);
    typers.set(data.member.id, { name: data.member.name, timer: setTimeout(() => clearTyping(data.member.id), 5000) });
    renderTyping();
  });
  socket.on("presence", (data) => setPresence(data.member_id, data.status));
  // --- the member list, kept live -------------------------------------------------------
  const memberList = root.querySelector(".chat-members");
  function countMembers(change) {
    const count = (Number(root.dataset.memberCount) || 0) + change;
    root.dataset.memberCount = String(count);
    const heading = root.querySelector(".chat-member-count");
    const rule = new Intl.PluralRules(document.documentElement.lang || "fr").select(count);
    if (heading) heading.textContent = (rule === "one" ? text.textMembersOne : text.textMembersOther).replace("{n}", String(count));
  }
  socket.on("members_changed", (data) => {
    if (data.channel_id !== channelId || !memberList) return;
    const existing = memberList.querySelector(`[data-presence-member="${data.member.id}"]`);
    if (!data.joined) {
      if (existing) existing.remove();
      countMembers(-1);
      return;
    }
    if (existing) return;
    const item = el("li");
    item.dataset.presenceMember = String(data.member.id);
    item.dataset.presence = "online";
    const dot = el("span", "presence-dot");
    dot.setAttribute("aria-hidden", "true");
    const link = el("a", "", data.member.name);
    link.href = "/members/" + data.member.id;
    item.append(dot, " ", link);
    memberList.insertBefore(item, memberList.querySelector("li.muted"));
    countMembers(1);
  });
  socket.on("unread", (data) => {
    badge(data.channel_id, ".chat-unread", data.unread);
    badge(data.channel_id, ".chat-mentions", data.mentions);
  });
  socket.on("channel_added", () => window.location.pathname === "/chat" && window.location.reload());
  socket.on("channel_removed", (data) => {
    if (data.channel_id === channelId) window.location.reload();
    const link = document.querySelector(`.chat-channel-link[data-channel-id="${data.channel_id}"]`);
    if (link) link.parentElement.remove();
  });

  document.addEventListener("visibilitychange", () => {
    if (!socket.connected) return;
    socket.emit("presence", { status: document.hidden ? "away" : "online" }, () => {});
    if (!document.hidden) markRead();
  });
})();
