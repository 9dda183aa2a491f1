// Customer chat widget. It starts a conversation with one POST and then exchanges JSON frames
// over one websocket per conversation, as docs/chat-protocol.md describes.
"use strict";

(() => {
  // Typing notices: sent at most this often, and shown for this long after the last one.
  const TYPING_SEND_INTERVAL_MS = 3000;
  const TYPING_SHOWN_MS = 5000;
  const TOKEN_KEY = "supportdesk.chat.token";
  const OUTBOX_KEY_PREFIX = "supportdesk.chat.outbox.";
  const MAX_TEXT_LENGTH = 4000;
  const BACKOFF_BASE_MS = 1000;
  const BACKOFF_MAX_MS = 30000;
  const CLOSE_CODE_FORBIDDEN = 4403;
  const CLOSE_CODE_NORMAL = 1000;
  const AUTHOR_KINDS = new Set(["customer", "ai", "agent", "system"]);
  const HUMAN_STATUSES = new Set(["queued", "assigned"]);
  // Distance in px from the bottom of the log within which new messages keep it scrolled down.
  const SCROLL_STICK_PX = 48;

  // ---- Pure helpers: no DOM, no storage ----

  function readCookie(cookieHeader, name) {
    for (const part of cookieHeader.split(";")) {
      const separator = part.indexOf("=");
      if (separator === -1) continue;
      if (part.slice(0, separator).trim() === name) {
        return decodeURIComponent(part.slice(separator + 1).trim());
      }
    }
    return null;
  }

  // Replace each {name} in template with values[name]. Unknown placeholders stay as written.
  function formatString(template, values) {
    return template.replace(/\{(\w+)\}/g, (placeholder, name) =>
      Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : placeholder,
    );
  }

  // Accept only same-origin paths. "//host" and "/\host" are rejected because browsers resolve
  // them to another host, and so is any whitespace or control character, because the URL
  // parser drops tabs and newlines ("/\t/host" becomes "//host").
  function isSafeSourceUrl(url) {
    return typeof url === "string" && /^\/(?![/\\])[^\s\u0000-\u001f\u007f]*$/.test(url);
  }

  // Return the delay in ms before retry number `attempt`, counted from 0. The ceiling doubles
  // from 1 s up to 30 s, and the delay is drawn from its upper half so that clients spread out.
  function reconnectDelay(attempt, random = Math.random) {
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
    return ceiling / 2 + (random() * ceiling) / 2;
  }

  function socketUrl(location, token) {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}/ws/chat/${encodeURIComponent(token)}/`;
  }

  // The server counts characters as Python's len() does, that is in code points.
  function textLength(text) {
    return [...text].length;
  }

  // Reduce a language tag such as "en-us" to the primary subtag that the start endpoint expects.
  function localeFromLanguageTag(tag) {
    return (tag || "").split("-")[0].toLowerCase();
  }

  // Random UUID version 4. crypto.randomUUID exists only in secure contexts (HTTPS or
  // localhost), so plain-HTTP pages build the UUID from crypto.getRandomValues.
  function newClientMessageId(cryptoApi) {
    if (typeof cryptoApi.randomUUID === "function") return cryptoApi.randomUUID();
    const bytes = cryptoApi.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  // Keep only well-formed outbox entries, because localStorage content may be stale or edited.
  function parseOutbox(json) {
    let entries;
    try {
      entries = JSON.parse(json || "[]");
    } catch {
      return [];
    }
    if (!Array.isArray(entries)) return [];
    return entries.filter(
      (entry) =>
        entry !== null &&
        typeof entry === "object" &&
        typeof entry.client_message_id === "string" &&
        ((entry.type === "message" && typeof entry.text === "string") || entry.type === "request_human"),
    );
  }

  // Build the client-to-server frame for an outbox entry.
  function outgoingFrame(entry) {
    if (entry.type === "message") {
      return { type: "message", client_message_id: entry.client_message_id, text: entry.text };
    }
    return { type: "request_human", client_message_id: entry.client_message_id };
  }

  // Pick the status line's string key and values for the connection phase and conversation state.
  function statusMessage(connection, state) {
    if (connection === "starting") return { key: "status_starting" };
    if (connection === "connecting") return { key: "status_connecting" };
    if (connection === "reconnecting") return { key: "status_reconnecting" };
    if (connection === "start_failed") return { key: "start_failed" };
    if (connection === "start_rejected") return { key: "start_rejected" };

    const status = state ? state.status : "ai";
    if (status === "queued") {
      const position = state.queue_position;
      if (Number.isInteger(position) && position > 0) {
        return { key: "status_queued", values: { position } };
      }
      return { key: "status_queued_no_position" };
    }
    if (status === "assigned") return { key: "status_assigned" };
    if (status === "resolved") return { key: "status_resolved" };
    return { key: "status_connected" };
  }

  // ---- Browser storage, which may be disabled or full ----

  const storage = {
    get(key) {
      try {
        return window.localStorage.getItem(key);
      } catch {
        return null;
      }
    },
    set(key, value) {
      try {
        window.localStorage.setItem(key, value);
      } catch {
        // Without storage the widget still works, but a reload starts a new conversation.
      }
    },
    remove(key) {
      try {
        window.localStorage.removeItem(key);
      } catch {
        // Storage is unavailable, so there is nothing to remove.
      }
    },
  };

  // ---- The widget ----

  class ChatWidget {
    constructor(root, strings) {
      this.root = root;
      this.strings = strings;
      this.startUrl = root.dataset.startUrl;

      this.statusElement = root.querySelector("#chat-status");
      this.logElement = root.querySelector("#chat-log");
      this.messageList = root.querySelector("#chat-messages");
      this.pendingList = root.querySelector("#chat-pending");
      this.errorElement = root.querySelector("#chat-error");
      this.form = root.querySelector("#chat-form");
      this.input = root.querySelector("#chat-input");
      this.humanButton = root.querySelector("#chat-human");
      this.newConversationLink = root.querySelector("#chat-new");

      this.token = storage.get(TOKEN_KEY);
      this.outbox = this.token ? parseOutbox(storage.get(OUTBOX_KEY_PREFIX + this.token)) : [];

      this.messages = new Map(); // message id -> Message from the server
      this.messageElements = new Map(); // message id -> <li>
      this.pendingElements = new Map(); // client_message_id -> <li>
      this.lastSeenId = 0; // highest id the server itself has delivered
      this.state = null;

      // Phase of the connection: starting, start_failed, start_rejected, connecting, open
      // or reconnecting.
      this.connection = "connecting";
      this.socket = null;
      this.retryTimer = null;
      this.retryAttempt = 0;
      this.retryAction = null;
      // Incremented whenever the conversation is dropped, so that late replies to an older
      // request or socket are ignored.
      this.generation = 0;

      // True from a "talk to a human" click until the first state update after its ack.
      // NOTE: this assumes that the server sends a state frame after storing request_human.
      // Otherwise the button stays disabled until the next state frame or a reload.
      this.humanRequestUnconfirmed = this.outbox.some((entry) => entry.type === "request_human");
      this.humanRequestAcked = false;

      this.timeFormat = createTimeFormat(document.documentElement.lang);
    }

    run() {
      this.form.addEventListener("submit", (event) => {
        event.preventDefault();
        this.submitInput();
      });
      this.input.addEventListener("keydown", (event) => this.handleInputKey(event));
      this.input.addEventListener("input", () => this.sendTyping());
      this.humanButton.addEventListener("click", () => this.requestHuman());
      this.newConversationLink.addEventListener("click", (event) => {
        event.preventDefault();
        this.startNewConversation();
      });
      window.addEventListener("online", () => this.retryNow());

      for (const entry of this.outbox) this.renderPending(entry);
      this.renderHumanButton();

      if (this.token) {
        this.connect();
      } else {
        this.startConversation();
      }
    }

    t(key) {
      const value = this.strings[key];
      if (typeof value === "string") return value;
      console.warn(`chat: missing string "${key}" in the chat-strings block`);
      return key;
    }

    // ---- Starting a conversation ----

    async startConversation() {
      const generation = this.generation;
      if (!this.startUrl) {
        console.error("chat: the chat root element has no data-start-url attribute");
        this.setConnection("start_rejected");
        return;
      }
      this.setConnection("starting");

      let response;
      let body = null;
      try {
        response = await fetch(this.startUrl, {
          method: "POST",
          credentials: "same-origin",
          headers: {
            "Content-Type": "application/json",
            Accept: "application/json",
            "X-CSRFToken": readCsrfToken(),
          },
          body: JSON.stringify({ locale: localeFromLanguageTag(document.documentElement.lang) }),
        });
        body = await response.json().catch(() => null);
      } catch (error) {
        if (generation !== this.generation) return;
        console.warn("chat: start request failed, retrying", error);
        this.setConnection("start_failed");
        this.scheduleRetry(() => this.startConversation());
        return;
      }
      if (generation !== this.generation) return;

      if (response.ok && body && typeof body.token === "string" && body.token) {
        this.adoptToken(body.token);
        this.connect();
        return;
      }

      const serverMessage = body && body.error && typeof body.error.message === "string" ? body.error.message : "";
      if (response.status === 400 || response.status === 403) {
        // Retrying cannot fix a rejected request (a bad field or a missing CSRF token).
        console.warn(`chat: start request rejected with status ${response.status}`, body);
        this.setConnection("start_rejected");
        if (serverMessage) this.showError(serverMessage);
        return;
      }
      console.warn(`chat: start request failed with status ${response.status}, retrying`, body);
      this.setConnection("start_failed");
      this.scheduleRetry(() => this.startConversation());
    }

    // Store a new token and move the outbox under it, so that messages typed before the
    // conversation existed are sent to it.
    adoptToken(token) {
      this.token = token;
      storage.set(TOKEN_KEY, token);
      this.saveOutbox();
    }

    // Drop the current conversation from the page and from storage. With keepOutbox, unsent
    // messages stay in memory and go to the next conversation once it has a token.
    // NOTE: a reload before that token arrives loses those unsent messages.
    forgetConversation({ keepOutbox }) {
      this.generation += 1;
      this.clearRetry();
      this.closeSocket();

      if (this.token) storage.remove(OUTBOX_KEY_PREFIX + this.token);
      storage.remove(TOKEN_KEY);
      this.token = null;

      this.messages.clear();
      this.messageElements.clear();
      this.messageList.replaceChildren();
      this.lastSeenId = 0;
      this.state = null;
      this.humanRequestAcked = false;

      if (!keepOutbox) {
        this.outbox = [];
        this.pendingElements.clear();
        this.pendingList.replaceChildren();
      }
      this.humanRequestUnconfirmed = this.outbox.some((entry) => entry.type === "request_human");
      this.hideError();
      this.renderHumanButton();
    }

    startNewConversation() {
      this.forgetConversation({ keepOutbox: false });
      this.retryAttempt = 0;
      this.startConversation();
      this.input.focus();
    }

    // ---- The socket ----

    connect() {
      this.clearRetry();
      this.setConnection(this.lastSeenId > 0 || this.messages.size > 0 ? "reconnecting" : "connecting");

      const socket = new WebSocket(socketUrl(window.location, this.token));
      this.socket = socket;
      const isReconnect = this.lastSeenId > 0;

      socket.addEventListener("open", () => {
        if (socket !== this.socket) return;
        this.setConnection("open");
        if (isReconnect) this.sendFrame({ type: "sync", after_id: this.lastSeenId });
        for (const entry of this.outbox) this.sendFrame(outgoingFrame(entry));
      });
      socket.addEventListener("message", (event) => {
        if (socket !== this.socket) return;
        this.handleFrame(event.data);
      });
      socket.addEventListener("close", (event) => {
        if (socket !== this.socket) return;
        this.socket = null;
        if (event.code === CLOSE_CODE_FORBIDDEN) {
          console.warn("chat: the server rejected the conversation token, starting a new conversation");
          this.forgetConversation({ keepOutbox: true });
          this.setConnection("starting");
          this.scheduleRetry(() => this.startConversation());
          return;
        }
        console.warn(`chat: socket closed with code ${event.code}, reconnecting`);
        this.setConnection("reconnecting");
        this.scheduleRetry(() => this.connect());
      });
    }

    closeSocket() {
      const socket = this.socket;
      this.socket = null;
      if (socket) socket.close(CLOSE_CODE_NORMAL);
    }

    // Tell the agent at most every few seconds that the customer is typing.
    sendTyping() {
      const now = Date.now();
      if (this.input.value.trim() === "" || now - (this.lastTypingSentAt || 0) < TYPING_SEND_INTERVAL_MS) return;
      this.lastTypingSentAt = now;
      this.sendFrame({ type: "typing" });
    }

    showTyping() {
      const element = document.getElementById("chat-typing");
      if (!element) return;
      element.textContent = this.t("agent_typing");
      clearTimeout(this.typingTimer);
      this.typingTimer = setTimeout(() => {
        element.textContent = "";
      }, TYPING_SHOWN_MS);
    }

    sendFrame(frame) {
      if (this.socket && this.socket.readyState === WebSocket.OPEN) {
        this.socket.send(JSON.stringify(frame));
      }
    }

    scheduleRetry(action) {
      this.clearRetry();
      const delay = reconnectDelay(this.retryAttempt);
      this.retryAttempt += 1;
      this.retryAction = action;
      this.retryTimer = window.setTimeout(() => {
        this.retryTimer = null;
        this.retryAction = null;
        action();
      }, delay);
    }

    clearRetry() {
      if (this.retryTimer !== null) window.clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this.retryAction = null;
    }

    // Run a waiting retry at once, for when the browser reports that it is back online.
    retryNow() {
      const action = this.retryAction;
      if (!action) return;
      this.clearRetry();
      action();
    }

    // ---- Frames from the server ----

    handleFrame(data) {
      let frame;
      try {
        frame = JSON.parse(data);
      } catch {
        console.warn("chat: ignored a frame that is not JSON", data);
        return;
      }
      if (frame === null || typeof frame !== "object") return;

      // A frame proves that the socket works, so the next drop starts the backoff from 1 s.
      this.retryAttempt = 0;

      switch (frame.type) {
        case "history":
          if (Array.isArray(frame.messages)) {
            for (const message of frame.messages) this.addMessage(message, { fromServer: true });
          }
          if (frame.state) this.setState(frame.state);
          break;
        case "message":
          this.addMessage(frame.message, { fromServer: true });
          break;
        case "ack":
          this.handleAck(frame);
          break;
        case "state":
          this.setState(frame.state);
          break;
        case "error":
          this.handleServerError(frame);
          break;
        case "typing":
          this.showTyping();
          break;
        case "feedback_recorded":
          this.showFeedbackRecorded(frame);
          break;
        default:
          console.warn("chat: ignored a frame of unknown type", frame.type);
      }
    }

    handleAck(frame) {
      const entry = this.takeFromOutbox(frame.client_message_id);
      if (!entry) return;
      if (entry.type === "request_human") this.humanRequestAcked = true;

      // Show the acknowledged message right away. If the server sends its stored copy later,
      // that copy replaces this one because both have the same id.
      if (Number.isInteger(frame.message_id) && !this.messages.has(frame.message_id)) {
        const text = entry.type === "message" ? entry.text : this.t("human_requested");
        this.addMessage(
          {
            id: frame.message_id,
            author_kind: "customer",
            text,
            created_at: entry.created_at,
            client_message_id: entry.client_message_id,
            sources: [],
          },
          { fromServer: false },
        );
      }
    }

    handleServerError(frame) {
      const message = typeof frame.message === "string" && frame.message ? frame.message : this.t("error_unknown");
      this.showError(message);

      const element = this.pendingElements.get(frame.client_message_id);
      const entry = this.takeFromOutbox(frame.client_message_id, { keepElement: true });
      if (!entry) return;

      // The server rejected this message, so resending it would fail again.
      if (element) markFailed(element, this.t("message_not_sent"));
      if (entry.type === "message" && this.input.value.trim() === "") {
        this.input.value = entry.text;
      }
      if (entry.type === "request_human") {
        this.humanRequestUnconfirmed = false;
        this.renderHumanButton();
      }
    }

    setState(state) {
      if (state === null || typeof state !== "object") return;
      this.state = state;
      if (this.humanRequestAcked) {
        this.humanRequestUnconfirmed = false;
        this.humanRequestAcked = false;
      }
      this.renderStatus();
      this.renderHumanButton();
    }

    // Show a message once, in id order, however often history and message frames repeat it.
    addMessage(message, { fromServer }) {
      if (message === null || typeof message !== "object" || !Number.isInteger(message.id)) {
        console.warn("chat: ignored a message without an integer id", message);
        return;
      }
      if (fromServer && message.id > this.lastSeenId) this.lastSeenId = message.id;

      // The server stored this message even if its ack was lost with the connection.
      if (typeof message.client_message_id === "string") {
        const stored = this.takeFromOutbox(message.client_message_id);
        if (stored && stored.type === "request_human") this.humanRequestAcked = true;
      }

      const previous = this.messages.get(message.id);
      if (previous && JSON.stringify(previous) === JSON.stringify(message)) return;

      const stickToBottom = this.isScrolledToBottom();
      this.messages.set(message.id, message);
      const element = this.renderMessage(message);
      const previousElement = this.messageElements.get(message.id);
      if (previousElement) {
        previousElement.replaceWith(element);
      } else {
        insertInIdOrder(this.messageList, element, message.id);
      }
      this.messageElements.set(message.id, element);
      if (stickToBottom) this.scrollToBottom();
    }

    // ---- Outgoing messages and the outbox ----

    handleInputKey(event) {
      // keyCode 229 marks keys that an input method editor is still composing.
      if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
      event.preventDefault();
      this.submitInput();
    }

    submitInput() {
      const text = this.input.value.trim();
      if (text === "") return;
      if (textLength(text) > MAX_TEXT_LENGTH) {
        this.showError(this.t("message_too_long"));
        return;
      }
      this.hideError();
      this.queue({
        type: "message",
        client_message_id: newClientMessageId(window.crypto),
        text,
        created_at: new Date().toISOString(),
      });
      this.input.value = "";
      this.input.focus();
    }

    requestHuman() {
      if (this.humanButton.disabled) return;
      this.hideError();
      this.humanRequestUnconfirmed = true;
      this.humanRequestAcked = false;
      this.renderHumanButton();
      this.queue({
        type: "request_human",
        client_message_id: newClientMessageId(window.crypto),
        created_at: new Date().toISOString(),
      });
    }

    // Store an entry in the outbox, show it as pending and send it if the socket is open.
    queue(entry) {
      this.outbox.push(entry);
      this.saveOutbox();
      this.renderPending(entry);
      this.scrollToBottom();
      this.sendFrame(outgoingFrame(entry));
    }

    // Remove an entry from the outbox and return it, or return null when it is not there.
    takeFromOutbox(clientMessageId, { keepElement = false } = {}) {
      const index = this.outbox.findIndex((entry) => entry.client_message_id === clientMessageId);
      if (index === -1) return null;
      const [entry] = this.outbox.splice(index, 1);
      this.saveOutbox();

      const element = this.pendingElements.get(clientMessageId);
      this.pendingElements.delete(clientMessageId);
      if (element && !keepElement) element.remove();
      return entry;
    }

    // Before the conversation has a token, the outbox is kept only in memory.
    saveOutbox() {
      if (!this.token) return;
      const key = OUTBOX_KEY_PREFIX + this.token;
      if (this.outbox.length === 0) {
        storage.remove(key);
      } else {
        storage.set(key, JSON.stringify(this.outbox));
      }
    }

    // ---- Rendering ----

    setConnection(connection) {
      this.connection = connection;
      this.renderStatus();
    }

    renderStatus() {
      const { key, values } = statusMessage(this.connection, this.state);
      this.statusElement.textContent = formatString(this.t(key), values || {});
      this.root.dataset.connection = this.connection;
      this.root.dataset.status = this.state && typeof this.state.status === "string" ? this.state.status : "";
    }

    renderHumanButton() {
      const status = this.state ? this.state.status : null;
      this.humanButton.disabled = this.humanRequestUnconfirmed || HUMAN_STATUSES.has(status);
    }

    renderMessage(message) {
      const kind = AUTHOR_KINDS.has(message.author_kind) ? message.author_kind : "system";
      const item = createMessageItem(kind, this.t(`author_${kind}`), message.created_at, this.timeFormat);
      item.dataset.messageId = String(message.id);

      const text = document.createElement("p");
      text.className = "chat-message__text";
      // A customer may write Arabic on the English page or the reverse, so each text takes its
      // direction from its own first strong character.
      text.dir = "auto";
      text.textContent = typeof message.text === "string" ? message.text : "";
      item.append(text);

      if (Array.isArray(message.sources) && message.sources.length > 0) {
        item.append(this.renderSources(message.sources));
      }
      if (kind === "ai") {
        item.append(this.renderFeedback(message.id));
      }
      return item;
    }

    // "Was this helpful?" under each AI answer; a "no" feeds the knowledge audit's gaps.
    renderFeedback(messageId) {
      const container = document.createElement("div");
      container.className = "chat-message__feedback";
      const question = document.createElement("span");
      question.textContent = this.t("feedback_question");
      container.append(question);
      for (const [helpful, key] of [[true, "feedback_yes"], [false, "feedback_no"]]) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "button button--secondary chat-message__feedback-button";
        button.textContent = this.t(key);
        button.addEventListener("click", () => this.sendFrame({ type: "feedback", message_id: messageId, helpful }));
        container.append(button);
      }
      return container;
    }

    showFeedbackRecorded(frame) {
      const item = this.messageList.querySelector(`[data-message-id="${Number(frame.message_id)}"] .chat-message__feedback`);
      if (item) item.textContent = this.t("feedback_thanks");
    }

    renderSources(sources) {
      const container = document.createElement("div");
      container.className = "chat-message__sources";
      const label = document.createElement("p");
      label.className = "chat-message__sources-label";
      label.textContent = this.t("sources_label");
      const list = document.createElement("ul");

      for (const source of sources) {
        if (source === null || typeof source !== "object") continue;
        const title = typeof source.title === "string" && source.title ? source.title : String(source.url || "");
        const item = document.createElement("li");
        item.dir = "auto";
        if (isSafeSourceUrl(source.url)) {
          const link = document.createElement("a");
          link.href = source.url;
          link.textContent = title;
          item.append(link);
        } else {
          item.textContent = title;
        }
        list.append(item);
      }
      container.append(label, list);
      return container;
    }

    renderPending(entry) {
      const item = createMessageItem("customer", this.t("author_customer"), entry.created_at, this.timeFormat);
      item.classList.add("chat-message--pending");

      const text = document.createElement("p");
      text.className = "chat-message__text";
      text.dir = "auto";
      text.textContent = entry.type === "message" ? entry.text : this.t("human_requested");
      const delivery = document.createElement("p");
      delivery.className = "chat-message__delivery";
      delivery.textContent = this.t("message_sending");
      item.append(text, delivery);

      this.pendingList.append(item);
      this.pendingElements.set(entry.client_message_id, item);
    }

    showError(message) {
      this.errorElement.textContent = message;
      this.errorElement.hidden = false;
    }

    hideError() {
      this.errorElement.textContent = "";
      this.errorElement.hidden = true;
    }

    isScrolledToBottom() {
      const log = this.logElement;
      return log.scrollHeight - log.scrollTop - log.clientHeight <= SCROLL_STICK_PX;
    }

    scrollToBottom() {
      this.logElement.scrollTop = this.logElement.scrollHeight;
    }
  }

  // ---- DOM helpers ----

  function createMessageItem(kind, authorLabel, createdAt, timeFormat) {
    const item = document.createElement("li");
    item.className = `chat-message chat-message--${kind}`;

    const meta = document.createElement("p");
    meta.className = "chat-message__meta";
    const author = document.createElement("span");
    author.className = "chat-message__author";
    author.textContent = authorLabel;
    meta.append(author);

    const date = typeof createdAt === "string" ? new Date(createdAt) : null;
    if (date && !Number.isNaN(date.getTime())) {
      const time = document.createElement("time");
      time.className = "chat-message__time";
      time.dateTime = createdAt;
      time.textContent = timeFormat.format(date);
      meta.append(" ", time);
    }
    item.append(meta);
    return item;
  }

  function markFailed(element, label) {
    element.classList.remove("chat-message--pending");
    element.classList.add("chat-message--failed");
    const delivery = element.querySelector(".chat-message__delivery");
    if (delivery) delivery.textContent = label;
  }

  // Insert element into list so that the items' data-message-id values stay ascending.
  // New messages usually belong at the end, so the search starts there.
  function insertInIdOrder(list, element, id) {
    let child = list.lastElementChild;
    while (child && Number(child.dataset.messageId) > id) child = child.previousElementSibling;
    if (child) {
      child.after(element);
    } else {
      list.prepend(element);
    }
  }

  function createTimeFormat(languageTag) {
    const options = { hour: "2-digit", minute: "2-digit" };
    try {
      return new Intl.DateTimeFormat(languageTag || undefined, options);
    } catch {
      // An invalid language tag raises RangeError, so fall back to the browser's locale.
      return new Intl.DateTimeFormat(undefined, options);
    }
  }

  // Django's CSRF token comes from the csrftoken cookie. When CSRF_COOKIE_HTTPONLY hides the
  // cookie, the token is read from a form on the page (base.html has one in the header).
  function readCsrfToken() {
    const fromCookie = readCookie(document.cookie, "csrftoken");
    if (fromCookie) return fromCookie;
    const field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function loadStrings() {
    const block = document.getElementById("chat-strings");
    if (!block) return {};
    try {
      const strings = JSON.parse(block.textContent);
      return strings !== null && typeof strings === "object" ? strings : {};
    } catch {
      console.warn("chat: the chat-strings block is not valid JSON");
      return {};
    }
  }

  const root = document.getElementById("chat");
  if (root) new ChatWidget(root, loadStrings()).run();
})();
