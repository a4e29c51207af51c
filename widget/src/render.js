// Turns message text into DOM nodes. Every piece of text from the bot or the person goes in through
// document.createTextNode / textContent, never innerHTML, so no HTML or script in a message can run.
// Links are made only from http(s) URLs, and only in bot messages.

const SOURCE_LINE = /^\[(\d{1,3})\]\s+(.+)$/;
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

/**
 * Splits a bot message into its parts: body lines, numbered sources and the disclaimer.
 *
 * The bot's replies are plain text (bot/replies.py `render`): the body with [n] markers, then a
 * "Sources:" line and one "[n] Publisher: Title. URL" line per source, then the disclaimer.
 * @param {string} text
 * @param {string | string[]} disclaimer the bot's disclaimer text (or one per language), when known
 * @returns {{body: string[], sources: {number: string, label: string, url: string | null}[], disclaimer: string | null}}
 */
// The heading of the sources block in each language the bot speaks (bot/replies.py SOURCES_HEADINGS).
const SOURCES_HEADINGS = ["Sources:", "Fuentes:"];

export function parseBotText(text, disclaimer) {
  let lines = String(text).replace(/\r\n?/g, "\n").split("\n");
  let foundDisclaimer = null;
  // The bot's disclaimer in each language it speaks (the server sends them all with the history).
  const known = (Array.isArray(disclaimer) ? disclaimer : [disclaimer]).map((d) => (d || "").trim()).filter(Boolean);
  const last = lines.length ? lines[lines.length - 1].trim() : "";
  if (known.includes(last)) {
    foundDisclaimer = last;
    lines = lines.slice(0, -1);
  }
  const sources = [];
  const start = lines.findIndex((line) => SOURCES_HEADINGS.includes(line.trim()));
  if (start >= 0) {
    let end = start + 1;
    while (end < lines.length && SOURCE_LINE.test(lines[end].trim())) {
      const [, number, rest] = SOURCE_LINE.exec(lines[end].trim());
      sources.push(splitSource(number, rest));
      end += 1;
    }
    if (sources.length) {
      lines = [...lines.slice(0, start), ...lines.slice(end)];
    }
  }
  const body = lines.map((line) => line.trim()).filter((line) => line.length > 0);
  return { body, sources, disclaimer: foundDisclaimer };
}

function splitSource(number, rest) {
  const lastSpace = rest.lastIndexOf(" ");
  const tail = lastSpace >= 0 ? rest.slice(lastSpace + 1) : rest;
  const url = safeHref(tail);
  if (url && lastSpace > 0) {
    return { number, label: rest.slice(0, lastSpace).trim(), url };
  }
  return { number, label: rest, url: null };
}

/**
 * Appends a line to `parent`, turning the http(s) URLs in it into links and everything else into text.
 * @param {Document} doc
 * @param {Node} parent
 * @param {string} line
 * @param {string} newTabNote visually hidden text telling screen-reader users a link opens a new tab
 */
export function appendLinkified(doc, parent, line, newTabNote) {
  let last = 0;
  for (const match of line.matchAll(URL_IN_TEXT)) {
    let candidate = match[0];
    const trailing = TRAILING_PUNCTUATION.exec(candidate);
    if (trailing) candidate = candidate.slice(0, -trailing[0].length);
    const href = safeHref(candidate);
    if (!href) continue;
    parent.appendChild(doc.createTextNode(line.slice(last, match.index)));
    parent.appendChild(link(doc, href, candidate, newTabNote));
    last = match.index + candidate.length;
  }
  parent.appendChild(doc.createTextNode(line.slice(last)));
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

/**
 * The DOM of a bot message: paragraphs, a list of linked sources, and the disclaimer set apart.
 * @param {Document} doc
 * @param {string} text
 * @param {{disclaimer?: string, sourcesHeading?: string, disclaimerLabel?: string, newTabNote?: string}} options
 * @returns {DocumentFragment}
 */
export function renderBotContent(doc, text, options = {}) {
  const parts = parseBotText(text, options.disclaimer || "");
  const fragment = doc.createDocumentFragment();
  for (const line of parts.body) {
    const p = doc.createElement("p");
    p.className = "sw-line";
    appendLinkified(doc, p, line, options.newTabNote);
    fragment.appendChild(p);
  }
  if (parts.sources.length) {
    const box = doc.createElement("div");
    box.className = "sw-sources";
    const heading = doc.createElement("p");
    heading.className = "sw-sources-heading";
    heading.textContent = options.sourcesHeading || "Sources:";
    box.appendChild(heading);
    const list = doc.createElement("ol");
    list.className = "sw-source-list";
    for (const source of parts.sources) {
      const item = doc.createElement("li");
      const number = doc.createElement("span");
      number.className = "sw-source-number";
      number.textContent = `[${source.number}]`;
      item.appendChild(number);
      item.appendChild(doc.createTextNode(" "));
      if (source.url) {
        item.appendChild(link(doc, source.url, source.label, options.newTabNote));
      } else {
        item.appendChild(doc.createTextNode(source.label));
      }
      list.appendChild(item);
    }
    box.appendChild(list);
    fragment.appendChild(box);
  }
  if (parts.disclaimer) {
    const note = doc.createElement("p");
    note.className = "sw-disclaimer";
    note.setAttribute("role", "note");
    const label = doc.createElement("strong");
    label.textContent = `${options.disclaimerLabel || "Please note:"} `;
    note.appendChild(label);
    note.appendChild(doc.createTextNode(parts.disclaimer));
    fragment.appendChild(note);
  }
  return fragment;
}

/**
 * What the live region says for a bot message: the words, and how many sources it lists.
 * @param {string} text
 * @param {string} disclaimer
 * @param {(count: number) => string} sourcesNote
 * @returns {string}
 */
export function announcementFor(text, disclaimer, sourcesNote) {
  const parts = parseBotText(text, disclaimer);
  const words = [...parts.body];
  if (parts.sources.length) words.push(sourcesNote(parts.sources.length));
  if (parts.disclaimer) words.push(parts.disclaimer);
  return words.join(" ");
}
