// Small DOM helpers of the widget: elements made with text nodes only, its icons, its styles in the shadow root.

import css from "./widget.css";

/** Creates an element with attributes and text; text always goes in as a text node. */
export function el(doc, tag, attributes = {}, text = null) {
  const node = doc.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === true) node.setAttribute(name, "");
    else if (value !== false && value !== null && value !== undefined) node.setAttribute(name, String(value));
  }
  if (text !== null) node.textContent = text;
  return node;
}

const ICONS = {
  chat: "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6v2h2V9H7zm4 0v2h2V9h-2zm4 0v2h2V9h-2z",
  // Four corners pointing out (full screen) and in (back to the panel).
  expand: "M3 3h7v2H5v5H3V3zm11 0h7v7h-2V5h-5V3zM3 14h2v5h5v2H3v-7zm16 0h2v7h-7v-2h5v-5z",
  shrink: "M8 3h2v7H3V8h5V3zm6 0h2v5h5v2h-7V3zM3 14h7v7H8v-5H3v-2zm11 0h7v2h-5v5h-2v-7z",
};

/** A decorative icon (hidden from screen readers: the control's text or label names it). */
export function icon(doc, name) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = doc.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "24");
  svg.setAttribute("height", "24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const path = doc.createElementNS(ns, "path");
  path.setAttribute("fill", "currentColor");
  path.setAttribute("d", ICONS[name]);
  svg.appendChild(path);
  return svg;
}

/**
 * Puts the widget's styles into its shadow root as a constructed style sheet, which a page's
 * Content-Security-Policy does not treat as inline style (the demo page allows none); browsers without
 * constructable style sheets get a <style> element instead.
 */
export function adoptStyles(doc, root) {
  const view = doc.defaultView || globalThis;
  if (view.CSSStyleSheet && "adoptedStyleSheets" in root && "replaceSync" in view.CSSStyleSheet.prototype) {
    const sheet = new view.CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [sheet];
  } else {
    root.appendChild(el(doc, "style", {}, css));
  }
}

export function prefersReducedMotion() {
  return Boolean(globalThis.matchMedia && globalThis.matchMedia("(prefers-reduced-motion: reduce)").matches);
}

/** The quick replies of a bot message (`quick_replies`, or `buttons`), titles and payloads as strings only. */
export function quickRepliesOf(message) {
  const raw = Array.isArray(message.quick_replies) ? message.quick_replies : message.buttons;
  if (!Array.isArray(raw)) return [];
  return raw
    .filter((b) => b && typeof b.title === "string" && typeof b.payload === "string")
    .map((b) => ({ title: b.title, payload: b.payload }));
}
