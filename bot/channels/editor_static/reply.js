// Renders one bot reply in the editors' shell from its reply data (bot/replies.py `ReplyData`, described in
// the README's "The reply data"): paragraphs with their citation markers, the numbered sources as links
// with their review dates, and the disclaimer set apart. A reply without its disclaimer is refused (throws),
// so the page can never show one as if it were complete. Every text goes in with textContent, never as HTML.
"use strict";

(function (root) {
  function el(doc, tag, text, className) {
    const node = doc.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function isWebUrl(url) {
    return typeof url === "string" && /^https?:\/\//i.test(url);
  }

  function source(doc, citation) {
    const label = citation.publisher + ": " + citation.title;
    if (!isWebUrl(citation.url)) return el(doc, "span", label);
    const a = el(doc, "a", label);
    a.href = citation.url;
    a.rel = "noopener noreferrer";
    a.target = "_blank";
    return a;
  }

  /**
   * The reply's DOM. Throws when the reply has no disclaimer or is not reply data.
   * @param {Document} doc
   * @param {object} reply the `reply` of a message from /webhooks/editor/message
   * @returns {HTMLElement}
   */
  function render(doc, reply) {
    if (!reply || typeof reply !== "object" || !Array.isArray(reply.paragraphs) || !Array.isArray(reply.citations)) {
      throw new Error("not reply data");
    }
    if (typeof reply.disclaimer !== "string" || !reply.disclaimer.trim()) {
      throw new Error("a reply without its disclaimer is never shown");
    }
    const box = el(doc, "div", null, "reply");
    reply.paragraphs.forEach(function (paragraph) {
      const marks = (paragraph.citations || []).map(function (n) { return "[" + n + "]"; }).join("");
      const line = [paragraph.text, marks].filter(Boolean).join(" ");
      box.appendChild(el(doc, "p", line, "text"));
    });
    if (reply.citations.length) {
      box.appendChild(el(doc, "p", reply.sources_heading || "Sources:", "sources-heading"));
      const list = el(doc, "ol", null, "sources");
      reply.citations.forEach(function (citation) {
        const item = el(doc, "li");
        item.appendChild(el(doc, "span", "[" + citation.number + "] "));
        item.appendChild(source(doc, citation));
        // The words patients see ("reviewed March 2027"), else the date itself (a reply stored before the words).
        const reviewed = citation.reviewed_label || (citation.reviewed && "reviewed " + citation.reviewed);
        if (reviewed) item.appendChild(el(doc, "span", " (" + reviewed + ")", "reviewed"));
        list.appendChild(item);
      });
      box.appendChild(list);
    }
    const note = el(doc, "p", reply.disclaimer, "disclaimer text");
    note.setAttribute("role", "note");
    box.appendChild(note);
    return box;
  }

  root.EditorReply = { render: render };
})(globalThis);
