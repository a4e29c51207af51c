// The chat widget: a launcher button and a non-modal chat panel in a shadow root, talking to the bot's
// socket.io channel (session_request / session_confirm, user_uttered / bot_uttered, start_over;
// bot/channels/widget_socket.py) and restoring the conversation from the bot's history route (a POST with the
// session id in the body: bot/channels/widget.py). The server issues the session id; "Start over" deletes the
// conversation on the server and gets a new one.

import { io } from "socket.io-client";

import css from "./widget.css";
import { readConfig } from "./config.js";
import { announcementForReply, renderReply, renderText } from "./render.js";
import { loadSessionId, readValue, saveSessionId, writeValue } from "./session.js";

const HOST_ID = "spasticity-widget";
const MAX_MESSAGE_LENGTH = 1000;
const TYPING_TIMEOUT_MS = 30000;
const ANNOUNCEMENTS_KEPT = 4;
const COMPACT_BELOW_REM = 36; // viewports shorter or narrower than this (in the reader's rem) get the full-screen panel

/** Creates an element with attributes and text; text always goes in as a text node. */
function el(doc, tag, attributes = {}, text = null) {
  const node = doc.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === true) node.setAttribute(name, "");
    else if (value !== false && value !== null && value !== undefined) node.setAttribute(name, String(value));
  }
  if (text !== null) node.textContent = text;
  return node;
}

function chatIcon(doc) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = doc.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "24");
  svg.setAttribute("height", "24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const path = doc.createElementNS(ns, "path");
  path.setAttribute("fill", "currentColor");
  path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6v2h2V9H7zm4 0v2h2V9h-2zm4 0v2h2V9h-2z");
  svg.appendChild(path);
  return svg;
}

function quickRepliesOf(message) {
  const raw = Array.isArray(message.quick_replies) ? message.quick_replies : message.buttons;
  if (!Array.isArray(raw)) return [];
  return raw
    .filter((b) => b && typeof b.title === "string" && typeof b.payload === "string")
    .map((b) => ({ title: b.title, payload: b.payload }));
}

/**
 * Puts the widget's styles into its shadow root as a constructed style sheet, which a page's
 * Content-Security-Policy does not treat as inline style (the demo page allows none); browsers without
 * constructable style sheets get a <style> element instead.
 */
function adoptStyles(doc, root) {
  const view = doc.defaultView || globalThis;
  if (view.CSSStyleSheet && "adoptedStyleSheets" in root && "replaceSync" in view.CSSStyleSheet.prototype) {
    const sheet = new view.CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [sheet];
  } else {
    root.appendChild(el(doc, "style", {}, css));
  }
}

function prefersReducedMotion() {
  return Boolean(globalThis.matchMedia && globalThis.matchMedia("(prefers-reduced-motion: reduce)").matches);
}

class ChatWidget {
  constructor(config, doc) {
    this.config = config;
    this.doc = doc;
    this.strings = config.strings;
    this.sessionId = loadSessionId(config.serverUrl); // null until the server issues one
    this.confirmed = false;
    this.historyShown = false;
    this.startingOver = false;
    this.everConfirmed = false;
    this.queue = [];
    this.typingTimer = null;
    this.socket = null;
    this.channel = null;
    this.openKey = `spasticity-widget:open:${config.serverUrl}`;
    this.build();
  }

  // ---- DOM ----------------------------------------------------------------------------------------

  build() {
    const { doc, strings } = this;
    this.host = el(doc, "div", { id: HOST_ID });
    this.host.style.setProperty("--sw-primary", this.config.primaryColor);
    this.host.style.setProperty("--sw-on-primary", this.config.primaryText);
    const root = this.host.attachShadow({ mode: "open" });
    adoptStyles(doc, root);
    this.root = root;

    const box = el(doc, "div", { class: "sw", lang: this.config.lang });
    this.launcher = el(doc, "button", {
      type: "button",
      class: "sw-launcher",
      "aria-expanded": "false",
      "aria-controls": "sw-panel",
    });
    this.launcher.appendChild(chatIcon(doc));
    this.launcher.appendChild(el(doc, "span", {}, strings.launcher));
    this.launcher.addEventListener("click", () => this.open(true));

    this.panel = el(doc, "section", {
      id: "sw-panel",
      class: "sw-panel",
      role: "dialog",
      "aria-modal": "false",
      "aria-labelledby": "sw-title",
      hidden: true,
    });
    this.panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        this.close();
      }
    });

    const header = el(doc, "div", { class: "sw-header" });
    this.title = el(doc, "h2", { id: "sw-title", class: "sw-title" }, strings.title);
    header.appendChild(this.title);
    // "Start over" deletes the conversation on the server: its visible name says what, the hidden part how much.
    this.restartButton = el(doc, "button", { type: "button", class: "sw-restart" }, strings.startOver);
    this.restartButton.appendChild(el(doc, "span", { class: "sw-visually-hidden" }, ` ${strings.startOverHint}`));
    this.restartButton.addEventListener("click", () => this.startOver());
    header.appendChild(this.restartButton);
    this.closeButton = el(doc, "button", { type: "button", class: "sw-close", "aria-label": strings.close });
    this.closeButton.appendChild(el(doc, "span", { "aria-hidden": "true" }, "×"));
    this.closeButton.addEventListener("click", () => this.close());
    header.appendChild(this.closeButton);

    this.status = el(doc, "p", { class: "sw-status", role: "status", "data-state": "connecting" }, strings.connecting);

    // The log is not itself live: the announcer below says each new bot message once, so restoring the
    // history on a reload does not read the whole conversation out.
    this.log = el(doc, "div", {
      class: "sw-log",
      role: "log",
      "aria-live": "off",
      "aria-label": strings.conversation,
      tabindex: "0",
    });
    this.list = el(doc, "ol", { class: "sw-list" });
    this.log.appendChild(this.list);
    this.addBotMessage(strings.greeting, { greeting: true, announce: false });

    this.typing = el(doc, "p", { class: "sw-typing", hidden: true });
    const dots = el(doc, "span", { class: "sw-dots", "aria-hidden": "true" });
    for (let i = 0; i < 3; i += 1) dots.appendChild(el(doc, "span"));
    this.typing.appendChild(dots);
    this.typing.appendChild(el(doc, "span", {}, strings.typing));

    this.quick = el(doc, "div", { class: "sw-quick", role: "group", "aria-label": strings.quickReplies, hidden: true });

    this.form = el(doc, "form", { class: "sw-form", novalidate: true });
    this.form.appendChild(el(doc, "label", { class: "sw-label", for: "sw-input" }, strings.inputLabel));
    this.input = el(doc, "input", {
      id: "sw-input",
      class: "sw-input",
      type: "text",
      maxlength: String(MAX_MESSAGE_LENGTH),
      autocomplete: "off",
      enterkeyhint: "send",
      placeholder: strings.placeholder,
    });
    this.form.appendChild(this.input);
    this.form.appendChild(el(doc, "button", { type: "submit", class: "sw-send" }, strings.send));
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = this.input.value;
      if (this.send(text, text)) this.input.value = "";
      this.input.focus();
    });

    this.announcer = el(doc, "div", { class: "sw-visually-hidden sw-announcer", "aria-live": "polite" });

    for (const part of [header, this.status, this.log, this.typing, this.quick, this.form, this.announcer]) {
      this.panel.appendChild(part);
    }
    box.appendChild(this.launcher);
    box.appendChild(this.panel);
    root.appendChild(box);
    doc.body.appendChild(this.host);
    this.fitToViewport();
    globalThis.addEventListener("resize", () => this.fitToViewport());
    if (typeof ResizeObserver === "function") {
      // The reader's text size changes the launcher's or the title's size, but fires no resize event.
      const observer = new ResizeObserver(() => this.fitToViewport());
      observer.observe(this.launcher);
      observer.observe(this.title);
    }
    if (readValue("sessionStorage", this.openKey) === "1") this.open(false);
  }

  /** Full-screen, single-column panel when the viewport is small in rem: zoomed, large text or a phone. */
  fitToViewport() {
    const rem = parseFloat(getComputedStyle(this.doc.documentElement).fontSize) || 16;
    const wide = globalThis.innerWidth / rem, tall = globalThis.innerHeight / rem;
    const wasCompact = this.panel.classList.contains("sw-compact");
    this.panel.classList.toggle("sw-full", wide < COMPACT_BELOW_REM || tall < COMPACT_BELOW_REM);
    this.panel.classList.toggle("sw-compact", tall < COMPACT_BELOW_REM);
    if (wasCompact !== this.panel.classList.contains("sw-compact")) this.scrollToEnd(); // the scroller changed
  }

  open(moveFocus) {
    this.panel.hidden = false;
    this.launcher.hidden = true;
    this.launcher.setAttribute("aria-expanded", "true");
    writeValue("sessionStorage", this.openKey, "1");
    this.scrollToEnd();
    if (moveFocus) this.input.focus();
  }

  close() {
    this.panel.hidden = true;
    this.launcher.hidden = false;
    this.launcher.setAttribute("aria-expanded", "false");
    writeValue("sessionStorage", this.openKey, null);
    this.launcher.focus();
  }

  /** The element that scrolls the conversation: the log, or the whole panel on short viewports. */
  scroller() {
    const overflow = getComputedStyle(this.log).overflowY;
    return overflow === "auto" || overflow === "scroll" ? this.log : this.panel;
  }

  scrollToEnd() {
    const scroller = this.scroller();
    scroller.scrollTop = scroller.scrollHeight;
  }

  /** Scrolls so that the start of `item` shows: a long answer is read from its beginning. */
  scrollToStart(item) {
    const scroller = this.scroller();
    const offset = item.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
    const top = Math.max(0, scroller.scrollTop + offset - 8);
    scroller.scrollTo({ top, behavior: prefersReducedMotion() ? "auto" : "smooth" });
  }

  addUserMessage(text) {
    const item = el(this.doc, "li", { class: "sw-msg sw-msg--user" });
    item.appendChild(el(this.doc, "span", { class: "sw-visually-hidden" }, `${this.strings.you} `));
    item.appendChild(el(this.doc, "span", { class: "sw-text" }, text));
    this.list.appendChild(item);
    this.scrollToEnd();
    return item;
  }

  /**
   * Shows a bot message: a structured reply from its data (`reply`), anything else as its text. Reply data
   * that cannot be rendered (no disclaimer) is never shown: the `unrenderable` text is, in its place.
   */
  addBotMessage(text, { reply = null, greeting = false, announce = true } = {}) {
    const item = el(this.doc, "li", { class: greeting ? "sw-msg sw-msg--bot sw-greeting" : "sw-msg sw-msg--bot" });
    item.appendChild(el(this.doc, "span", { class: "sw-visually-hidden" }, `${this.strings.bot} `));
    const content = el(this.doc, "div", { class: "sw-content" });
    const options = { disclaimerLabel: this.strings.disclaimerLabel, newTabNote: this.strings.newTab };
    let spoken = String(text).replace(/\s*\n\s*/g, " ").trim();
    if (reply !== null && reply !== undefined) {
      try {
        content.appendChild(renderReply(this.doc, reply, options));
        spoken = announcementForReply(reply, (n) =>
          n === 1 ? this.strings.sourceNote : this.strings.sourcesNote.replace("{n}", String(n)),
        );
      } catch (error) {
        console.warn("spasticity widget: a reply was not shown", error);
        content.replaceChildren(renderText(this.doc, this.strings.unrenderable, options));
        spoken = this.strings.unrenderable;
      }
    } else {
      content.appendChild(renderText(this.doc, text, options));
    }
    item.appendChild(content);
    this.list.appendChild(item);
    if (announce) {
      this.announce(`${this.strings.bot} ${spoken}`);
      this.scrollToStart(item);
    }
    return item;
  }

  /** Says `text` through the polite live region; older announcements are dropped, not re-read. */
  announce(text) {
    const line = el(this.doc, "p", {}, text);
    this.announcer.appendChild(line);
    while (this.announcer.childElementCount > ANNOUNCEMENTS_KEPT) this.announcer.firstElementChild.remove();
  }

  setQuickReplies(buttons) {
    this.quick.replaceChildren();
    for (const button of buttons) {
      const node = el(this.doc, "button", { type: "button", class: "sw-quick-reply" }, button.title);
      node.addEventListener("click", () => {
        this.send(button.payload, button.title);
        this.input.focus(); // the pressed button disappears: keep the focus somewhere useful
      });
      this.quick.appendChild(node);
    }
    this.quick.hidden = buttons.length === 0;
  }

  setStatus(state, text) {
    this.status.dataset.state = state;
    this.status.textContent = text;
  }

  showTyping(on) {
    clearTimeout(this.typingTimer);
    this.typing.hidden = !on;
    if (on) this.typingTimer = setTimeout(() => this.showTyping(false), TYPING_TIMEOUT_MS);
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
    this.socket.emit("session_request", { session_id: this.sessionId, metadata: { lang: this.config.lang } });
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
    this.socket.emit("start_over", { session_id: this.sessionId, metadata: { lang: this.config.lang } });
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
  widget.start();
  return widget;
}
