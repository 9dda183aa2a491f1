// Live parts of the agent console on top of htmx and its websocket extension: catching up
// after a reconnect, dropping fragments already shown, inserting the copilot draft, sending
// typing notices and clearing them.
(function () {
  "use strict";

  const TYPING_SEND_INTERVAL_MS = 3000;
  const TYPING_SHOWN_MS = 5000;
  let socket = null;
  let lastTypingSent = 0;
  let typingTimer = null;

  function lastMessageId() {
    let highest = 0;
    document.querySelectorAll("#thread [data-message-id]").forEach(function (item) {
      highest = Math.max(highest, Number(item.dataset.messageId) || 0);
    });
    return highest;
  }

  function send(payload) {
    if (socket) {
      socket.send(JSON.stringify(payload));
    }
  }

  // After every (re)connect, ask for what was missed while the socket was down.
  document.addEventListener("htmx:wsOpen", function (event) {
    socket = event.detail.socketWrapper;
    if (document.getElementById("thread")) {
      send({ type: "sync", after_id: lastMessageId() });
    }
  });

  document.addEventListener("htmx:wsClose", function () {
    socket = null;
  });

  // A message fragment whose message is already on the page is dropped, so a message that
  // arrives both live and through the catch-up shows once.
  document.addEventListener("htmx:wsBeforeMessage", function (event) {
    const template = document.createElement("template");
    template.innerHTML = event.detail.message;
    const items = template.content.querySelectorAll("[data-message-id]");
    if (items.length === 0) {
      return;
    }
    const allShown = Array.prototype.every.call(items, function (item) {
      return document.getElementById("message-" + item.dataset.messageId) !== null;
    });
    if (allShown) {
      event.preventDefault();
    }
  });

  document.addEventListener("htmx:oobAfterSwap", function (event) {
    const target = event.detail.target;
    if (target && target.id === "typing") {
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () {
        target.textContent = "";
      }, TYPING_SHOWN_MS);
    }
    if (target && target.id === "thread") {
      target.lastElementChild && target.lastElementChild.scrollIntoView({ block: "nearest" });
    }
  });

  document.addEventListener("click", function (event) {
    const button = event.target.closest("#insert-draft");
    if (!button) {
      return;
    }
    const draft = document.getElementById("draft-text");
    const reply = document.getElementById("reply-text");
    const draftId = document.getElementById("reply-draft-id");
    if (draft && reply && draftId) {
      reply.value = draft.textContent;
      draftId.value = button.dataset.draftId;
      reply.focus();
    }
  });

  document.addEventListener("input", function (event) {
    if (event.target.id !== "reply-text") {
      return;
    }
    const now = Date.now();
    if (now - lastTypingSent > TYPING_SEND_INTERVAL_MS) {
      lastTypingSent = now;
      send({ type: "typing" });
    }
  });

  // datetime-local has no time zone: send the browser's offset so the server reads it right.
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt.classList && event.detail.elt.classList.contains("snooze-form")) {
      event.detail.parameters.utc_offset_minutes = String(new Date().getTimezoneOffset());
    }
  });
})();
