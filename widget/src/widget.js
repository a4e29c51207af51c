// The chat widget's conversation: it talks to the bot's socket.io channel (session_request / session_confirm,
// user_uttered / bot_uttered, start_over; bot/channels/widget_socket.py) and restores the conversation from the
// bot's history route (a POST with the session id in the body: bot/channels/widget.py). The server issues the
// session id; "Start over" deletes the conversation on the server and gets a new one. Nothing connects until
// the reader first opens the panel (or it was open before a reload): a page view alone costs the bot nothing.
// What is shown, and how, is `ChatView` (view.js).

import { io } from "socket.io-client";

import { readConfig } from "./config.js";
import { quickRepliesOf } from "./dom.js";
import { loadSessionId, readValue, saveSessionId } from "./session.js";
import { ChatView, HOST_ID, MAX_MESSAGE_LENGTH } from "./view.js";

class ChatWidget extends ChatView {
  constructor(config, doc) {
    super(config, doc);
    this.sessionId = loadSessionId(config.serverUrl); // null until the server issues one
    this.confirmed = false;
    this.historyShown = false;
    this.startingOver = false;
    this.everConfirmed = false;
    this.started = false;
    this.queue = [];
    this.socket = null;
    this.channel = null;
    this.build();
    if (readValue("sessionStorage", this.openKey) === "1") this.open(false); // it was open before a reload
  }

  /** The first opening connects: history first, then the socket. */
  opened() {
    if (this.started) return;
    this.started = true;
    // Another tab may have started over since this page loaded: join the conversation it keeps now.
    this.sessionId = loadSessionId(this.config.serverUrl);
    this.start();
  }

  /** What every session request and start-over carries: the page's language, and its topic if it names one. */
  sessionMetadata() {
    const metadata = { lang: this.config.lang };
    if (this.config.topic) metadata.topic = this.config.topic;
    return metadata;
  }

  // ---- conversation ---------------------------------------------------------------------------------

  /** Shows `display` as the person's message and sends `message` (a typed text or a button payload). */
  send(message, display) {
    const text = String(message).trim().slice(0, MAX_MESSAGE_LENGTH);
    if (!text) {
      this.announce(this.strings.empty);
      return false;
    }
    this.addUserMessage(String(display).trim() || text);
    this.setQuickReplies([]);
    if (this.channel) {
      this.channel.postMessage({ type: "user", session: this.sessionId, text: String(display).trim() || text });
    }
    if (this.confirmed) {
      this.emitUserMessage(text);
    } else {
      this.queue.push(text);
      this.announce(this.strings.queued);
    }
    return true;
  }

  emitUserMessage(text) {
    // The page's language travels with every message: the bot answers a Spanish page in Spanish.
    this.socket.emit("user_uttered", { message: text, session_id: this.sessionId, metadata: { lang: this.config.lang } });
    this.showTyping(true);
  }

  onBotMessage(message) {
    if (!message || typeof message !== "object") return;
    if (message.notice !== undefined && this.historyShown && !this.startingOver) {
      this.resetView(); // a notice opens a new conversation: the one shown is over (it expired meanwhile)
    }
    if (message.reply !== undefined || (typeof message.text === "string" && message.text.trim())) {
      if (message.notice === undefined) this.showTyping(false);
      const item = this.addBotMessage(typeof message.text === "string" ? message.text : "", { reply: message.reply });
      if (message.notice !== undefined) item.classList.add("sw-notice");
    }
    const buttons = quickRepliesOf(message);
    if (buttons.length) this.setQuickReplies(buttons);
  }

  /** Shows the conversation so far; false when the server no longer has it for this id (expired, unknown). */
  async loadHistory() {
    const response = await fetch(`${this.config.serverUrl}${this.config.channelPath}/history`, {
      method: "POST",
      headers: { Accept: "application/json", "Content-Type": "application/json" },
      body: JSON.stringify({ session_id: this.sessionId }),
      credentials: "omit",
      cache: "no-store",
    });
    if (response.status === 403 || response.status === 410) return false;
    if (!response.ok) throw new Error(`history: HTTP ${response.status}`);
    const history = await response.json();
    const messages = Array.isArray(history.messages) ? history.messages : [];
    for (const message of messages) {
      if (!message || typeof message.text !== "string") continue;
      if (message.sender === "user") this.addUserMessage(message.text);
      else if (message.sender === "bot") this.addBotMessage(message.text, { reply: message.reply, announce: false });
    }
    this.setQuickReplies(quickRepliesOf(history));
    this.historyShown = messages.length > 0;
    this.scrollToEnd();
    return true;
  }

  /** Clears the log back to the greeting: a new conversation starts. */
  resetView() {
    for (const item of Array.from(this.list.querySelectorAll(".sw-msg:not(.sw-greeting)"))) item.remove();
    this.setQuickReplies([]);
    this.showTyping(false);
    this.historyShown = false;
  }

  requestSession() {
    // A new conversation of a page that names a topic opens on it (the server checks the id; an ongoing one stays).
    this.socket.emit("session_request", { session_id: this.sessionId, metadata: this.sessionMetadata() });
  }

  /** The server confirmed a session: a new id means a new conversation, which every tab of this page follows. */
  onSessionConfirm(sessionId) {
    if (typeof sessionId !== "string") return;
    if (sessionId !== this.sessionId) {
      if (this.historyShown && !this.startingOver) this.resetView(); // the old conversation is over
      this.sessionId = sessionId;
      saveSessionId(this.config.serverUrl, sessionId);
      if (this.channel) this.channel.postMessage({ type: "session", session: sessionId });
    }
    const reconnected = this.everConfirmed && !this.startingOver; // starting over is not a lost connection
    this.startingOver = false;
    this.confirmed = true;
    this.setStatus("online", reconnected ? this.strings.reconnected : this.strings.connected);
    this.everConfirmed = true;
    const pending = this.queue.splice(0);
    for (const text of pending) this.emitUserMessage(text);
  }

  /** Deletes this conversation on the server and starts a new one with a new id. */
  startOver() {
    if (!this.confirmed) {
      this.announce(this.strings.startOverOffline);
      return;
    }
    this.resetView();
    this.queue = [];
    this.confirmed = false; // messages typed now wait for the new session
    this.startingOver = true;
    this.socket.emit("start_over", { session_id: this.sessionId, metadata: this.sessionMetadata() });
    this.announce(this.strings.startedOver);
    this.input.focus();
  }

  connect() {
    const socket = io(this.config.serverUrl, {
      path: this.config.socketPath,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 5000,
    });
    this.socket = socket;
    // Every (re)connection is a new socket id: ask again to join the conversation's room.
    socket.on("connect", () => this.requestSession());
    socket.on("session_confirm", (sessionId) => this.onSessionConfirm(sessionId));
    socket.on("bot_uttered", (message) => this.onBotMessage(message));
    socket.on("disconnect", (reason) => {
      this.confirmed = false;
      this.showTyping(false);
      this.setStatus("offline", this.strings.reconnecting);
      // The client reconnects by itself except when the server closed the session on purpose.
      if (reason === "io server disconnect") setTimeout(() => socket.connect(), 1000);
    });
    socket.on("connect_error", () => {
      if (this.everConfirmed) this.setStatus("offline", this.strings.reconnecting);
    });
  }

  listenToOtherTabs() {
    if (typeof BroadcastChannel !== "function") return;
    this.channel = new BroadcastChannel(`spasticity-widget:${this.config.serverUrl}`);
    this.channel.onmessage = (event) => {
      const data = event.data;
      if (!data || typeof data.session !== "string") return;
      if (data.type === "user" && data.session === this.sessionId && typeof data.text === "string") {
        this.addUserMessage(data.text);
        this.setQuickReplies([]);
      } else if (data.type === "session" && data.session !== this.sessionId) {
        // Another tab started over (or was given a new session): follow it to the new conversation.
        this.resetView();
        this.sessionId = data.session;
        if (this.socket && this.socket.connected) this.requestSession();
      }
    };
  }

  async start() {
    if (this.sessionId !== null) {
      try {
        if (!(await this.loadHistory())) {
          this.sessionId = null; // expired or unknown: the server issues a new one
          saveSessionId(this.config.serverUrl, null);
        }
      } catch (error) {
        console.warn("spasticity widget: could not load the conversation history", error);
        this.setStatus("offline", this.strings.historyFailed);
      }
    }
    this.listenToOtherTabs();
    this.connect();
  }
}

/**
 * Mounts the widget once per page and connects it.
 * @param {Record<string, unknown> | HTMLScriptElement | null} source a config object or the script tag
 */
export function mount(source = null) {
  const doc = globalThis.document;
  const existing = doc.getElementById(HOST_ID);
  if (existing && existing.spasticityWidget) return existing.spasticityWidget;
  const isScript = source && typeof source === "object" && source.tagName === "SCRIPT";
  const config = isScript ? readConfig(source) : readConfig(null, source || {});
  const widget = new ChatWidget(config, doc);
  widget.host.spasticityWidget = widget;
  return widget;
}
