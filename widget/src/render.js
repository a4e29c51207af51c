// Turns the bot's messages into DOM nodes. A structured reply is rendered from its reply data (bot/replies.py
// `ReplyData`, described in the README's "The reply data"); a plain message (a domain response, a channel
// notice) is shown as its text. Every piece of text from the bot or the person goes in through
// document.createTextNode / textContent, never innerHTML, so no HTML or script in a message can run.
// Links are made only from http(s) URLs, and only in bot messages; phone numbers become tel: links only when
// the reply data lists them (`phones`: the emergency, crisis and help numbers the server put in the text), never
// by guessing numbers from the text.

const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"']+/g;
const TRAILING_PUNCTUATION = /[.,;:!?)\]]+$/;

/**
 * The URL as a safe link target, or null when it is not an absolute http(s) URL.
 * @param {string} candidate
 * @returns {string | null}
 */
export function safeHref(candidate) {
  let url;
  try {
    url = new URL(candidate);
  } catch {
    return null;
  }
  return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
}

const TEL_HREF = /^tel:\+?[0-9]+$/;
// A number that touches a digit (or a digit one space away, "800 911 2000") is part of a longer number.
const PHONE_EDGE_BEFORE = /(?:[0-9+-]|[0-9] )$/;
const PHONE_EDGE_AFTER = /^(?:[0-9-]| [0-9])/;

/**
 * The phone numbers of reply data that can be links: a number as written and a `tel:` URI of digits.
 * @param {unknown} phones the reply data's `phones`
 * @returns {{number: string, label: string, tel: string, call: string}[]} longest number first
 */
export function usablePhones(phones) {
  if (!Array.isArray(phones)) return [];
  const usable = (p) => p && typeof p.number === "string" && p.number.trim() && TEL_HREF.test(String(p.tel));
  return phones.filter(usable).sort((a, b) => b.number.length - a.number.length);
}

function telLink(doc, phone) {
  const a = doc.createElement("a");
  a.href = phone.tel;
  a.className = "sw-tel";
  a.textContent = phone.number;
  // Screen readers announce what calling does: "Call 000 (Australia)" (the visible number is part of it).
  const call = typeof phone.call === "string" && phone.call.includes(phone.number) ? phone.call : "";
  if (call) a.setAttribute("aria-label", call);
  return a;
}

/**
 * Appends text to `parent`, each of the listed phone numbers in it (not inside a longer number) as a tel: link.
 * @param {Document} doc
 * @param {Node} parent
 * @param {string} text
 * @param {{number: string, tel: string, call: string}[]} phones from `usablePhones`
 */
function appendWithPhones(doc, parent, text, phones) {
  if (!phones.length || !text) {
    parent.appendChild(doc.createTextNode(text));
    return;
  }
  const pattern = new RegExp(phones.map((p) => p.number.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "g");
  let last = 0;
  let match;
  while ((match = pattern.exec(text)) !== null) {
    const end = match.index + match[0].length;
    const before = text.slice(Math.max(0, match.index - 2), match.index);
    if (PHONE_EDGE_BEFORE.test(before) || PHONE_EDGE_AFTER.test(text.slice(end, end + 2))) {
      pattern.lastIndex = match.index + 1; // part of a longer number: look again one character on
      continue;
    }
    parent.appendChild(doc.createTextNode(text.slice(last, match.index)));
    parent.appendChild(telLink(doc, phones.find((p) => p.number === match[0])));
    last = end;
  }
  parent.appendChild(doc.createTextNode(text.slice(last)));
}

/**
 * Appends a line to `parent`, turning the http(s) URLs in it into links, the listed phone numbers into tel:
 * links, and everything else into text.
 * @param {Document} doc
 * @param {Node} parent
 * @param {string} line
 * @param {string} newTabNote visually hidden text telling screen-reader users a link opens a new tab
 * @param {{number: string, tel: string, call: string}[]} [phones] from `usablePhones`
 */
export function appendLinkified(doc, parent, line, newTabNote, phones = []) {
  let last = 0;
  for (const match of line.matchAll(URL_IN_TEXT)) {
    let candidate = match[0];
    const trailing = TRAILING_PUNCTUATION.exec(candidate);
    if (trailing) candidate = candidate.slice(0, -trailing[0].length);
    const href = safeHref(candidate);
    if (!href) continue;
    appendWithPhones(doc, parent, line.slice(last, match.index), phones);
    parent.appendChild(link(doc, href, candidate, newTabNote));
    last = match.index + candidate.length;
  }
  appendWithPhones(doc, parent, line.slice(last), phones);
}

function link(doc, href, label, newTabNote) {
  const a = doc.createElement("a");
  a.href = href;
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  a.textContent = label;
  if (newTabNote) {
    const note = doc.createElement("span");
    note.className = "sw-visually-hidden";
    note.textContent = ` (${newTabNote})`;
    a.appendChild(note);
  }
  return a;
}

/** Thrown for reply data that must not be shown: without its disclaimer, or not reply data at all. */
export class UnrenderableReply extends Error {}

/**
 * Checks reply data before anything of it is shown.
 * @param {unknown} reply
 * @returns {{paragraphs: {text: string, citations: number[]}[], citations: {number: number, publisher: string,
 *   title: string, url: string, reviewed_label?: string}[], sources_heading: string, disclaimer: string,
 *   phones?: {number: string, label: string, tel: string, call: string}[]}}
 */
export function checkReply(reply) {
  if (!reply || typeof reply !== "object" || !Array.isArray(reply.paragraphs) || !Array.isArray(reply.citations)) {
    throw new UnrenderableReply("not reply data");
  }
  if (typeof reply.disclaimer !== "string" || !reply.disclaimer.trim()) {
    throw new UnrenderableReply("a reply without its disclaimer is never shown");
  }
  return reply;
}

function paragraphText(paragraph) {
  const marks = (Array.isArray(paragraph.citations) ? paragraph.citations : []).map((n) => `[${n}]`).join("");
  return [String(paragraph.text || ""), marks].filter(Boolean).join(" ");
}

function lineNode(doc, line, newTabNote, phones = []) {
  const p = doc.createElement("p");
  p.className = "sw-line";
  appendLinkified(doc, p, line, newTabNote, phones);
  return p;
}

/**
 * The DOM of a structured reply: paragraphs with their citation markers (the phone numbers the data lists as
 * tel: links, announced as "Call 112 (EU)"), the linked sources with when each was reviewed, and the disclaimer
 * set apart. Throws
 * `UnrenderableReply` for a reply without its disclaimer.
 * @param {Document} doc
 * @param {object} reply the reply data of a `bot_uttered` message or of a history message
 * @param {{disclaimerLabel?: string, newTabNote?: string}} options
 * @returns {DocumentFragment}
 */
export function renderReply(doc, reply, options = {}) {
  const data = checkReply(reply);
  const fragment = doc.createDocumentFragment();
  const phones = usablePhones(data.phones);
  for (const paragraph of data.paragraphs) {
    const line = paragraphText(paragraph).trim();
    if (line) fragment.appendChild(lineNode(doc, line, options.newTabNote, phones));
  }
  if (data.citations.length) {
    const box = doc.createElement("div");
    box.className = "sw-sources";
    const heading = doc.createElement("p");
    heading.className = "sw-sources-heading";
    heading.textContent = data.sources_heading || "Sources:";
    box.appendChild(heading);
    const list = doc.createElement("ol");
    list.className = "sw-source-list";
    for (const citation of data.citations) {
      const item = doc.createElement("li");
      const number = doc.createElement("span");
      number.className = "sw-source-number";
      number.textContent = `[${citation.number}]`;
      item.appendChild(number);
      item.appendChild(doc.createTextNode(" "));
      const label = `${citation.publisher}: ${citation.title}`;
      const url = safeHref(String(citation.url));
      item.appendChild(url ? link(doc, url, label, options.newTabNote) : doc.createTextNode(label));
      // When the answer was last checked against this source, in the reply's language ("reviewed March 2027").
      if (typeof citation.reviewed_label === "string" && citation.reviewed_label.trim()) {
        const reviewed = doc.createElement("span");
        reviewed.className = "sw-reviewed";
        reviewed.textContent = ` (${citation.reviewed_label.trim()})`;
        item.appendChild(reviewed);
      }
      list.appendChild(item);
    }
    box.appendChild(list);
    fragment.appendChild(box);
  }
  const note = doc.createElement("p");
  note.className = "sw-disclaimer";
  note.setAttribute("role", "note");
  const label = doc.createElement("strong");
  label.textContent = `${options.disclaimerLabel || "Please note:"} `;
  note.appendChild(label);
  data.disclaimer.trim().split("\n").forEach((line, index) => {
    if (index) note.appendChild(doc.createElement("br"));
    note.appendChild(doc.createTextNode(line));
  });
  fragment.appendChild(note);
  return fragment;
}

/**
 * The DOM of a plain bot message: one paragraph per line, web addresses as links. Nothing is read out of it.
 * @param {Document} doc
 * @param {string} text
 * @param {{newTabNote?: string}} options
 * @returns {DocumentFragment}
 */
export function renderText(doc, text, options = {}) {
  const fragment = doc.createDocumentFragment();
  for (const line of String(text).replace(/\r\n?/g, "\n").split("\n")) {
    if (line.trim()) fragment.appendChild(lineNode(doc, line.trim(), options.newTabNote));
  }
  return fragment;
}

/**
 * What the live region says for a structured reply: the words, how many sources it lists, the disclaimer.
 * @param {object} reply
 * @param {(count: number) => string} sourcesNote
 * @returns {string}
 */
export function announcementForReply(reply, sourcesNote) {
  const data = checkReply(reply);
  const words = data.paragraphs.map(paragraphText).filter((line) => line.trim());
  if (data.citations.length) words.push(sourcesNote(data.citations.length));
  words.push(data.disclaimer.trim().replace(/\n/g, " "));
  return words.join(" ");
}
