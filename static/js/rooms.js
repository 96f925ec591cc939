// Passerelles room client: live messages over /ws/rooms/<id>/ (protocol: docs/realtime.md).
// No framework, no CDN. Without JavaScript the page still shows history and posts a plain form.
//
// Guarantees kept here: a message shows "Envoi…" until the server acknowledges it (then
// "Envoyé"); until then it is retried with the SAME client id, so it is stored once; after a
// disconnection the client reconnects with exponential back-off and jitter and resumes from
// the last id it saw; ids already shown are never shown twice.

const root = document.querySelector("[data-room]");
if (root && root.dataset.live === "true") {
  startRoom(root);
}

function startRoom(root) {
  root.classList.add("room--scripted"); // hides the plain forms: the buttons below replace them
  const T = JSON.parse(document.getElementById("room-strings").textContent);
  const fmt = (template, value) => template.replace("%s", value);
  const roomId = Number(root.dataset.roomId);
  const userId = Number(root.dataset.userId);
  const canModerate = root.dataset.canModerate === "true";
  const maxLength = Number(root.dataset.maxLength);
  let lastId = Number(root.dataset.lastId) || 0;
  let oldestId = Number(root.dataset.oldestId) || 0;

  const log = root.querySelector("[data-log]");
  const status = root.querySelector("[data-room-status]");
  const presence = root.querySelector("[data-presence]");
  const typingLine = root.querySelector("[data-typing]");
  const announcer = root.querySelector("[data-announcer]");
  const form = root.querySelector("[data-compose]");
  const textarea = form.querySelector("textarea");
  const sendButton = form.querySelector("[data-send]");
  const composeError = form.querySelector("[data-compose-error]");
  const replyBox = form.querySelector("[data-reply]");
  const replyLabel = form.querySelector("[data-reply-label]");
  const olderLink = root.querySelector("[data-older]");

  const pending = new Map(); // client id -> {frame, element, sentAt}
  const payloads = new Map(); // message id -> last payload seen
  const online = new Map(); // user id -> name
  let socket = null;
  let ready = false; // true once the server said "resumed"
  let attempt = 0;
  let replyTo = null;
  let editing = null;
  let lastTyping = 0;
  let readTimer = null;
  let typingTimer = null;
  let retryTimer = null;

  // --- Connection ---------------------------------------------------------------------------

  function setStatus(text, state) {
    status.textContent = text;
    root.dataset.state = state;
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    setStatus(T.connecting, "connecting");
    socket = new WebSocket(`${scheme}://${location.host}/ws/rooms/${roomId}/?after=${lastId}`);
    socket.addEventListener("message", (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      handle(frame);
    });
    socket.addEventListener("close", (event) => {
      ready = false;
      socket = null;
      // Access gone (4410) or the room now read-only (4409): reconnecting would be refused.
      if (event.code === 4410 || event.code === 4409) {
        setStatus(event.code === 4409 ? T.read_only : T.revoked, "closed");
        form.hidden = true;
        presence.textContent = "";
        typingLine.textContent = "";
        return;
      }
      for (const entry of pending.values()) markPending(entry, T.waiting);
      const base = Math.min(30000, 500 * 2 ** attempt);
      const delay = Math.round(base / 2 + Math.random() * (base / 2)); // "equal jitter"
      attempt += 1;
      setStatus(fmt(T.reconnecting_in, Math.max(1, Math.round(delay / 1000))), "reconnecting");
      window.setTimeout(connect, delay);
    });
  }

  function send(frame) {
    if (socket && ready && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  // Without a live connection, a moderation or author action goes through the plain form
  // (the same service on the server); the page then reloads on the message.
  function postAction(action, id, fields = {}) {
    const plain = document.createElement("form");
    plain.method = "post";
    plain.action = root.dataset.actionUrl.replace(/\/0\/delete\/$/, `/${id}/${action}/`);
    plain.hidden = true;
    const token = form.querySelector("[name=csrfmiddlewaretoken]").value;
    for (const [name, value] of Object.entries({ csrfmiddlewaretoken: token, ...fields })) {
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = value;
      plain.append(input);
    }
    document.body.append(plain);
    plain.submit();
  }

  function sendOrPost(frame, action, id, fields = {}) {
    if (!send(frame)) postAction(action, id, fields);
  }

  // Unacknowledged messages are re-sent with the same client id: the server stores them once.
  function flushPending() {
    const now = Date.now();
    for (const entry of pending.values()) {
      if (!entry.failed && (!entry.sentAt || now - entry.sentAt > 8000)) {
        if (send(entry.frame)) {
          entry.sentAt = now;
          markPending(entry, T.sending);
        }
      }
    }
  }

  // --- Where the reader is -------------------------------------------------------------------

  // The compose bar stays at the bottom of the window (sticky): scrolling a message into view
  // keeps it above the bar, whatever the bar's height (a reply line, a phone's width).
  function keepClearOfCompose() {
    document.documentElement.style.scrollPaddingBottom = `${form.offsetHeight}px`;
  }
  keepClearOfCompose();
  new ResizeObserver(keepClearOfCompose).observe(form);

  function latestMessage() {
    return log.lastElementChild;
  }

  // True while the latest message is on screen: new messages then keep it in view; a reader who
  // scrolled up to older messages is left where they are.
  function atLatest() {
    const latest = latestMessage();
    return !latest || latest.getBoundingClientRect().top < window.innerHeight - form.offsetHeight;
  }

  function showLatest() {
    latestMessage()?.scrollIntoView({ block: "end" });
  }

  // --- Frames from the server ----------------------------------------------------------------

  function handle(frame) {
    switch (frame.type) {
      case "resume": {
        const follow = atLatest();
        frame.messages.forEach((m) => upsert(m, false));
        if (follow && frame.messages.length) showLatest();
        if (frame.messages.length > 3) announce(fmt(T.new_messages, frame.messages.length));
        else frame.messages.forEach((m) => announceMessage(m));
        scheduleRead();
        break;
      }
      case "resumed":
        ready = true;
        attempt = 0;
        setStatus(T.connected, "connected");
        flushPending();
        break;
      case "message": {
        const follow = atLatest();
        upsert(frame.message, false);
        if (follow) showLatest();
        announceMessage(frame.message);
        scheduleRead();
        break;
      }
      case "message.updated":
        if (payloads.has(frame.message.id) || document.getElementById(`m-${frame.message.id}`)) upsert(frame.message, true);
        break;
      case "ack":
        acknowledge(frame.client_id, frame.id);
        break;
      case "history":
        prependHistory(frame.messages, frame.has_more);
        break;
      case "typing":
        showTyping(frame.user.name);
        break;
      case "presence":
        online.clear();
        frame.online.forEach((p) => online.set(p.id, p.name));
        showPresence();
        break;
      case "presence.join":
        online.set(frame.user.id, frame.user.name);
        showPresence();
        break;
      case "presence.leave":
        online.delete(frame.user.id);
        showPresence();
        break;
      case "reported":
        announce(T.reported, true);
        break;
      case "error":
        onError(frame);
        break;
      default:
        break;
    }
  }

  function acknowledge(clientId, id) {
    const entry = pending.get(clientId);
    if (!entry) return;
    pending.delete(clientId);
    const existing = document.getElementById(`m-${id}`);
    if (existing && existing !== entry.element) {
      entry.element.remove(); // the broadcast arrived first and is already shown
    } else {
      entry.element.id = `m-${id}`;
      entry.element.dataset.id = String(id);
      entry.element.classList.remove("msg--pending", "msg--failed");
      setPendingLine(entry.element, T.sent);
    }
  }

  function onError(frame) {
    const entry = frame.client_id ? pending.get(frame.client_id) : null;
    if (entry) {
      if (frame.code === "server_error") {
        markPending(entry, T.waiting); // retried by the timer, same client id
        entry.sentAt = Date.now();
        return;
      }
      entry.failed = true;
      entry.element.classList.add("msg--failed");
      setPendingLine(entry.element, fmt(T.failed_because, frame.detail), true);
      return;
    }
    composeError.textContent = frame.detail;
  }

  // --- Rendering -----------------------------------------------------------------------------

  // A moment written as the server writes it (accounts/formats.py, day_time): the page gives the
  // Django date format of its language and the time zone; Intl gives the names and that zone's
  // clock, so a message reads the same live and after a reload, whatever the browser's zone.
  const momentFormat = root.dataset.timeFormat;
  const language = document.documentElement.lang || "fr";
  const clock = new Intl.DateTimeFormat(language, {
    timeZone: root.dataset.timeZone, weekday: "long", day: "numeric", month: "long", year: "numeric",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });

  function formatMoment(iso) {
    const part = Object.fromEntries(clock.formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
    let firstDay = part.day === "1" && language.startsWith("fr"); // French writes « 1er »
    let text = "";
    for (let i = 0; i < momentFormat.length; i += 1) {
      const c = momentFormat[i];
      if (c === "\\") {
        i += 1;
        text += momentFormat[i] || "";
      } else if (c === "j") {
        text += part.day + (firstDay ? "er" : "");
        firstDay = false;
      } else {
        text += { d: part.day.padStart(2, "0"), F: part.month, Y: part.year, H: part.hour, i: part.minute, l: part.weekday }[c] ?? c;
      }
    }
    return text;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function button(label, action, id, extra = {}) {
    const b = el("button", "button button--quiet button--small", label);
    b.type = "button";
    b.dataset.action = action;
    b.dataset.id = String(id);
    Object.entries(extra).forEach(([key, value]) => (b.dataset[key] = value));
    return b;
  }

  function render(m) {
    const li = el("li", "msg");
    li.id = `m-${m.id}`;
    li.dataset.id = String(m.id);
    if (m.author.id === userId) li.classList.add("msg--mine");
    if (m.hidden) li.classList.add("msg--hidden");

    const meta = el("div", "msg__meta");
    meta.append(el("span", "msg__author", m.author.name));
    if (m.author.profession) meta.append(el("span", `badge badge--${m.author.profession}`, m.author.profession_label));
    const time = el("time", "msg__time");
    time.dateTime = m.created_at;
    time.textContent = formatMoment(m.created_at);
    meta.append(time);
    if (m.edited && !m.deleted) meta.append(editedFlag(m));
    if (m.pinned && !m.deleted) meta.append(el("span", "badge badge--warn", T.pinned));
    li.append(meta);

    if (m.reply_to) {
      const reply = el("p", "msg__reply", `${T.in_reply_to} `);
      const link = el("a", "", m.reply_to.author);
      link.href = `#m-${m.reply_to.id}`;
      reply.append(link);
      li.append(reply);
    }
    if (m.deleted) {
      li.append(el("p", "msg__tombstone", T.deleted));
    } else if (m.hidden && !m.html) {
      li.append(el("p", "msg__tombstone", T.hidden));
    } else {
      if (m.hidden) li.append(el("p", "msg__tombstone", T.hidden_mod));
      const body = el("div", "msg__body");
      body.innerHTML = m.html; // sanitised on the server by config.sanitize.clean_html (allowlist)
      li.append(body);
    }
    if (!m.deleted) {
      if (m.reactions.length) {
        const list = el("ul", "msg__reactions");
        for (const r of m.reactions) {
          const item = el("li");
          const b = button(`${r.emoji} ${r.users.length}`, "react", m.id, { emoji: r.emoji });
          b.setAttribute("aria-pressed", r.users.includes(userId) ? "true" : "false");
          item.append(b);
          list.append(item);
        }
        li.append(list);
      }
      li.append(actions(m));
    }
    return li;
  }

  // "(modifié)" leads to the message's earlier versions, for those allowed to read them.
  function editedFlag(m) {
    if (m.hidden && !canModerate) return el("span", "msg__flag", T.edited);
    const link = el("a", "msg__flag", T.edited);
    link.href = root.dataset.historyUrl.replace(/\/0\/history\/$/, `/${m.id}/history/`);
    link.append(el("span", "visually-hidden", ` ${T.edited_history}`));
    return link;
  }

  function actions(m) {
    const bar = el("div", "msg__actions");
    bar.setAttribute("role", "group");
    bar.setAttribute("aria-label", T.actions);
    if (m.hidden && !canModerate) {
      // A hidden message is not to be answered, reacted to or reported; its author may still delete it.
      if (m.author.id === userId) bar.append(button(T.delete, "delete", m.id));
      return bar;
    }
    bar.append(button(T.reply, "reply", m.id));
    const picker = el("details", "msg__react");
    const summary = el("summary", "button button--quiet button--small", T.react);
    picker.append(summary);
    for (const emoji of ["👍", "❤️", "👏", "🤔", "✅"]) picker.append(button(emoji, "react", m.id, { emoji }));
    bar.append(picker);
    if (m.author.id === userId) {
      bar.append(button(T.edit, "edit", m.id), button(T.delete, "delete", m.id));
    } else {
      bar.append(button(T.report, "report", m.id));
    }
    if (canModerate) {
      bar.append(button(m.hidden ? T.restore : T.hide, m.hidden ? "restore" : "hide", m.id));
      bar.append(button(m.pinned ? T.unpin : T.pin, m.pinned ? "unpin" : "pin", m.id));
    }
    return bar;
  }

  function upsert(m, isUpdate) {
    payloads.set(m.id, m);
    const node = render(m);
    const existing = document.getElementById(`m-${m.id}`);
    if (existing) {
      if (existing.querySelector(".msg__state")) setPendingLine(node, T.sent); // keep "Envoyé" on our copy
      existing.replaceWith(node);
      return;
    }
    if (isUpdate) return;
    // Our own optimistic copy, matched by client id, becomes the real message.
    if (m.author.id === userId && pending.has(m.client_id)) {
      const entry = pending.get(m.client_id);
      pending.delete(m.client_id);
      setPendingLine(node, T.sent);
      entry.element.replaceWith(node);
    } else {
      insertInOrder(node, m.id);
    }
    log.querySelector("[data-empty]")?.remove();
    if (m.id > lastId) lastId = m.id;
  }

  function insertInOrder(node, id) {
    // Messages arrive in order; optimistic ones (no id yet) stay at the end.
    const items = [...log.querySelectorAll("li.msg[data-id]")];
    const after = items.reverse().find((item) => Number(item.dataset.id) < id);
    if (after) after.after(node);
    else log.prepend(node);
  }

  function prependHistory(messages, hasMore) {
    const first = log.querySelector("li.msg[data-id]");
    for (const m of messages) {
      if (document.getElementById(`m-${m.id}`)) continue;
      payloads.set(m.id, m);
      const node = render(m);
      if (first) first.before(node);
      else log.append(node);
    }
    if (messages.length) oldestId = Math.min(oldestId || Infinity, messages[0].id);
    if (olderLink && !hasMore) olderLink.replaceWith(el("span", "muted", T.no_older));
  }

  function setPendingLine(element, text, withRetry = false) {
    let line = element.querySelector(".msg__state");
    if (!line) {
      line = el("p", "msg__state");
      element.append(line);
    }
    line.textContent = text;
    if (withRetry) {
      const b = button(T.retry, "retry", 0, { clientId: element.dataset.clientId });
      line.append(" ", b);
    }
  }

  function markPending(entry, text) {
    if (!entry.failed) setPendingLine(entry.element, text);
  }

  function announce(text, force = false) {
    if (!force && document.visibilityState === "hidden") return;
    announcer.textContent = text;
  }

  function announceMessage(m) {
    if (m.author.id === userId || m.deleted) return;
    const scratch = document.createElement("div");
    scratch.innerHTML = m.html;
    announce(fmt(T.new_message, m.author.name) + scratch.textContent.slice(0, 200));
  }

  function showPresence() {
    const names = [...online.values()].sort((a, b) => a.localeCompare(b));
    presence.textContent = names.length ? fmt(T.online, names.join(", ")) : "";
  }

  function showTyping(name) {
    typingLine.textContent = fmt(T.typing, name);
    window.clearTimeout(typingTimer);
    typingTimer = window.setTimeout(() => (typingLine.textContent = ""), 3500);
  }

  // --- Read markers --------------------------------------------------------------------------

  function scheduleRead() {
    if (document.visibilityState !== "visible") return;
    window.clearTimeout(readTimer);
    readTimer = window.setTimeout(() => send({ type: "read", id: lastId }), 1500);
  }
  document.addEventListener("visibilitychange", scheduleRead);

  // --- Sending -------------------------------------------------------------------------------

  function newClientId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes); // works on plain http too, unlike crypto.randomUUID
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function resetCompose() {
    textarea.value = "";
    replyTo = null;
    editing = null;
    replyBox.hidden = true;
    sendButton.textContent = T.send;
    composeError.textContent = "";
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = textarea.value.trim();
    if (!body) {
      composeError.textContent = T.empty;
      textarea.focus();
      return;
    }
    if (body.length > maxLength) {
      composeError.textContent = fmt(T.too_long, maxLength);
      return;
    }
    if (editing !== null) {
      if (!send({ type: "message.edit", id: editing, body })) {
        composeError.textContent = T.reconnecting; // the text stays in the box for another try
        return;
      }
      resetCompose();
      return;
    }
    const clientId = newClientId();
    const frame = { type: "message.send", client_id: clientId, body };
    if (replyTo !== null) frame.reply_to = replyTo;
    const element = el("li", "msg msg--mine msg--pending");
    element.dataset.clientId = clientId;
    const text = el("div", "msg__body");
    text.textContent = body;
    element.append(text);
    log.append(element);
    log.querySelector("[data-empty]")?.remove();
    const entry = { frame, element, sentAt: 0, failed: false };
    pending.set(clientId, entry);
    markPending(entry, T.sending);
    flushPending();
    if (!entry.sentAt) markPending(entry, T.waiting);
    resetCompose();
    element.scrollIntoView({ block: "end" });
  });

  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  textarea.addEventListener("input", () => {
    form.querySelector(".room-compose__notices")?.remove(); // read by now; give the room its space back
    const now = Date.now();
    if (now - lastTyping > 3000 && textarea.value.trim()) {
      lastTyping = now;
      send({ type: "typing" });
    }
  });

  form.querySelector("[data-reply-cancel]").addEventListener("click", () => {
    resetCompose();
    textarea.focus();
  });

  root.addEventListener("click", (event) => {
    const target = event.target.closest("button[data-action]");
    if (target) {
      onAction(target.dataset.action, Number(target.dataset.id), target);
      return;
    }
    if (olderLink && event.target.closest("[data-older]")) {
      event.preventDefault();
      send({ type: "history", before: oldestId || lastId + 1 });
    }
  });

  function onAction(action, id, target) {
    const m = payloads.get(id);
    switch (action) {
      case "reply":
        replyTo = id;
        editing = null;
        replyLabel.textContent = fmt(T.replying_to, m ? m.author.name : `#${id}`);
        replyBox.hidden = false;
        sendButton.textContent = T.send;
        textarea.focus();
        break;
      case "edit":
        editing = id;
        replyTo = null;
        replyLabel.textContent = T.editing;
        replyBox.hidden = false;
        sendButton.textContent = T.save;
        textarea.value = m ? m.body : document.getElementById(`m-${id}`)?.dataset.body || "";
        textarea.focus();
        break;
      case "delete":
        if (window.confirm(T.confirm_delete)) sendOrPost({ type: "message.delete", id }, "delete", id);
        break;
      case "report": {
        const reason = window.prompt(T.report_reason, "");
        if (reason !== null) {
          sendOrPost({ type: "message.report", id, reason: reason.slice(0, 500) }, "report", id, { reason: reason.slice(0, 500) });
        }
        break;
      }
      case "react":
        send({ type: "reaction.toggle", id, emoji: target.dataset.emoji });
        target.closest("details")?.removeAttribute("open");
        break;
      case "hide":
      case "restore":
      case "pin":
      case "unpin":
        sendOrPost({ type: `message.${action}`, id }, action, id);
        break;
      case "retry": {
        const entry = pending.get(target.dataset.clientId);
        if (entry) {
          entry.failed = false;
          entry.sentAt = 0;
          entry.element.classList.remove("msg--failed");
          flushPending();
        }
        break;
      }
      default:
        break;
    }
  }

  // Actions for the messages rendered by the server (no-JS history) are added here.
  for (const item of log.querySelectorAll("li.msg[data-id]:not([data-deleted])")) {
    const id = Number(item.dataset.id);
    const mine = item.classList.contains("msg--mine");
    item.append(actions({ id, author: { id: mine ? userId : -1 }, hidden: item.classList.contains("msg--hidden"),
      pinned: Boolean(item.querySelector(".badge--warn")) }));
  }

  // The room opens at the latest message, unless the address names one (#m-12).
  if (!location.hash) showLatest();

  window.setInterval(() => {
    send({ type: "ping" });
  }, 25000);
  retryTimer = window.setInterval(flushPending, 4000);
  connect();
}
