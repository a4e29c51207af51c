// The browser renderers of reply data, run in Node with a minimal DOM: the website widget's
// (widget/src/render.js) and the editors' shell's (bot/channels/editor_static/reply.js). Called by
// tests/test_reply_renderers.py with the reply data the Python side made, as JSON on stdin; prints what each
// renderer showed, or that it refused, as JSON on stdout.
import { readFileSync } from "node:fs";
import { runInNewContext } from "node:vm";

class FakeNode {
  constructor(tag, text = null) {
    this.tagName = tag;
    this.children = [];
    this.attributes = {};
    this.className = "";
    this.text = text;
  }
  appendChild(child) {
    this.children.push(child);
    return child;
  }
  replaceChildren(...children) {
    this.children = children;
  }
  setAttribute(name, value) {
    this.attributes[name] = String(value);
  }
  set textContent(value) {
    this.children = [new FakeNode("#text", String(value))];
  }
  get textContent() {
    if (this.tagName === "#text") return this.text;
    if (this.tagName === "br") return "\n";
    return this.children.map((c) => c.textContent).join("");
  }
  set href(value) {
    this.attributes.href = value;
  }
  find(predicate, found = []) {
    if (predicate(this)) found.push(this);
    for (const child of this.children) child.find(predicate, found);
    return found;
  }
}

const doc = {
  createElement: (tag) => new FakeNode(tag),
  createTextNode: (text) => new FakeNode("#text", String(text)),
  createDocumentFragment: () => new FakeNode("#fragment"),
};

function shown(node) {
  return {
    text: node.textContent,
    links: node.find((n) => n.tagName === "a").map((a) => [a.attributes.href, a.textContent]),
    spoken: node.find((n) => n.tagName === "a").map((a) => a.attributes["aria-label"] ?? null),
    disclaimer: node.find((n) => /\b(sw-disclaimer|disclaimer)\b/.test(n.className)).map((n) => n.textContent),
    elements: [...new Set(node.find((n) => n.tagName !== "#text").map((n) => n.tagName))].sort(),
  };
}

function attempt(render) {
  try {
    return { shown: shown(render()) };
  } catch (error) {
    return { refused: String(error && error.message) };
  }
}

const [widgetPath, editorPath] = process.argv.slice(2);
// render.js is an ES module in a package without "type": "module": load it as a data: URL module.
const source = readFileSync(widgetPath, "utf8");
const widget = await import(`data:text/javascript;base64,${Buffer.from(source).toString("base64")}`);
const editorContext = { globalThis: {} };
editorContext.globalThis = editorContext;
runInNewContext(readFileSync(editorPath, "utf8"), editorContext);

const replies = JSON.parse(readFileSync(0, "utf8"));
const results = replies.map((reply) => ({
  widget: attempt(() => widget.renderReply(doc, reply, { newTabNote: "opens in a new tab" })),
  widgetRefuses: reply && (() => {
    try {
      widget.checkReply(reply);
      return false;
    } catch (error) {
      return error instanceof widget.UnrenderableReply;
    }
  })(),
  editor: attempt(() => editorContext.EditorReply.render(doc, reply)),
}));
process.stdout.write(JSON.stringify(results));
