// The widget's view: the launcher (with its unread badge) and the non-modal chat panel in a shadow root, and
// everything shown in them. The conversation (session, socket, history) is `ChatWidget` in widget.js, which
// extends this class; nothing here talks to the server.

import { adoptStyles, el, icon, prefersReducedMotion } from "./dom.js";
import { announcementForReply, renderReply, renderText } from "./render.js";
import { readValue, writeValue } from "./session.js";

export const HOST_ID = "spasticity-widget";
export const MAX_MESSAGE_LENGTH = 1000;
const TYPING_TIMEOUT_MS = 30000;
const ANNOUNCEMENTS_KEPT = 4;
const COMPACT_BELOW_REM = 36; // viewports shorter or narrower than this (in the reader's rem) get the full-screen panel

export class ChatView {
  constructor(config, doc) {
    this.config = config;
    this.doc = doc;
    this.strings = config.strings;
    this.unread = 0;
    this.typingTimer = null;
    this.openKey = `spasticity-widget:open:${config.serverUrl}`;
    this.expandKey = `spasticity-widget:expanded:${config.serverUrl}`;
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

    const box = el(doc, "div", { class: `sw sw--${this.config.position}`, lang: this.config.lang });
    this.launcher = el(doc, "button", {
      type: "button",
      class: "sw-launcher",
      "aria-expanded": "false",
      "aria-controls": "sw-panel",
    });
    this.launcher.appendChild(icon(doc, "chat"));
    this.launcher.appendChild(el(doc, "span", {}, strings.launcher));
    // The badge shows the count; the launcher's name says it (setUnread), starting with the visible label.
    this.badge = el(doc, "span", { class: "sw-badge", "aria-hidden": "true", hidden: true });
    this.launcher.appendChild(this.badge);
    this.launcher.addEventListener("click", () => this.open(true));
    // The panel's own live region is hidden with it: news that arrives while it is closed is said here.
    this.closedAnnouncer = el(doc, "div", { class: "sw-visually-hidden", "aria-live": "polite" });

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
    // A toggle button: its name stays, aria-pressed says whether the panel fills the window.
    this.expandButton = el(doc, "button", {
      type: "button",
      class: "sw-expand",
      "aria-label": strings.fullScreen,
      "aria-pressed": "false",
    });
    this.expandButton.addEventListener("click", () => this.setExpanded(!this.panel.classList.contains("sw-expanded")));
    header.appendChild(this.expandButton);
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
    // The suggestions follow the last message inside the log and scroll with it, so they never take the
    // answer's room: the answer keeps the whole log, the suggestions come after it.
    this.quick = el(doc, "div", { class: "sw-quick", role: "group", "aria-label": strings.quickReplies, hidden: true });
    this.log.appendChild(this.quick);

    this.typing = el(doc, "p", { class: "sw-typing", hidden: true });
    const dots = el(doc, "span", { class: "sw-dots", "aria-hidden": "true" });
    for (let i = 0; i < 3; i += 1) dots.appendChild(el(doc, "span"));
    this.typing.appendChild(dots);
    this.typing.appendChild(el(doc, "span", {}, strings.typing));

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

    for (const part of [header, this.status, this.log, this.typing, this.form, this.announcer]) {
      this.panel.appendChild(part);
    }
    box.appendChild(this.launcher);
    box.appendChild(this.closedAnnouncer);
    box.appendChild(this.panel);
    root.appendChild(box);
    this.doc.body.appendChild(this.host);
    this.setExpanded(readValue("sessionStorage", this.expandKey) === "1");
    this.fitToViewport();
    globalThis.addEventListener("resize", () => this.fitToViewport());
    if (typeof ResizeObserver === "function") {
      // The reader's text size changes the launcher's or the title's size, but fires no resize event.
      const observer = new ResizeObserver(() => this.fitToViewport());
      observer.observe(this.launcher);
      observer.observe(this.title);
    }
  }

  /** Full-screen, single-column panel when the viewport is small in rem: zoomed, large text or a phone. */
  fitToViewport() {
    const rem = parseFloat(getComputedStyle(this.doc.documentElement).fontSize) || 16;
    const wide = globalThis.innerWidth / rem, tall = globalThis.innerHeight / rem;
    const wasCompact = this.panel.classList.contains("sw-compact");
    const full = wide < COMPACT_BELOW_REM || tall < COMPACT_BELOW_REM;
    this.panel.classList.toggle("sw-full", full);
    this.panel.classList.toggle("sw-compact", tall < COMPACT_BELOW_REM);
    this.expandButton.hidden = full; // the panel fills the window anyway: a toggle would do nothing
    if (wasCompact !== this.panel.classList.contains("sw-compact")) this.scrollToEnd(); // the scroller changed
  }

  /** Fills the window with the panel (or not), as the reader chose; kept for this tab like the open panel. */
  setExpanded(on) {
    this.panel.classList.toggle("sw-expanded", on);
    this.expandButton.setAttribute("aria-pressed", on ? "true" : "false");
    this.expandButton.replaceChildren(icon(this.doc, on ? "shrink" : "expand"));
    writeValue("sessionStorage", this.expandKey, on ? "1" : null);
  }

  open(moveFocus) {
    this.panel.hidden = false;
    this.launcher.hidden = true;
    this.launcher.setAttribute("aria-expanded", "true");
    writeValue("sessionStorage", this.openKey, "1");
    this.setUnread(0);
    this.opened();
    this.scrollToEnd();
    if (moveFocus) this.input.focus();
  }

  /** Called each time the panel opens: the conversation connects on the first (widget.js). */
  opened() {}

  close() {
    this.panel.hidden = true;
    this.launcher.hidden = false;
    this.launcher.setAttribute("aria-expanded", "false");
    writeValue("sessionStorage", this.openKey, null);
    this.launcher.focus();
  }

  isOpen() {
    return !this.panel.hidden;
  }

  /** The count of bot messages that arrived while the panel was closed: on the badge and in the launcher's name. */
  setUnread(count) {
    const changed = count !== this.unread;
    this.unread = count;
    const words = count === 1 ? this.strings.unreadOne : this.strings.unreadMany.replace("{n}", String(count));
    this.badge.hidden = count === 0;
    this.badge.textContent = count > 99 ? "99+" : String(count);
    if (count) this.launcher.setAttribute("aria-label", `${this.strings.launcher}, ${words}`);
    else this.launcher.removeAttribute("aria-label");
    if (changed && count) {
      this.closedAnnouncer.replaceChildren(el(this.doc, "p", {}, words));
    } else if (!count) {
      this.closedAnnouncer.replaceChildren();
    }
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
      if (this.isOpen()) this.announce(`${this.strings.bot} ${spoken}`);
      else this.setUnread(this.unread + 1);
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
}
