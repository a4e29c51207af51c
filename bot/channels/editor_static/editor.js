// Editors' preview: sends messages to /webhooks/editor/message and shows the reply with why it was chosen.
// Every piece of text from the bot, the content or the editor is set with textContent, never as HTML.
"use strict";

(function () {
  const base = window.location.pathname.replace(/\/?$/, "/");
  const log = document.getElementById("log");
  const form = document.getElementById("ask");
  const input = document.getElementById("message");
  const send = document.getElementById("send");
  const busy = document.getElementById("busy");
  const drafts = document.getElementById("drafts");
  const lang = document.getElementById("lang");
  const reloadButton = document.getElementById("reload");
  const reloadStatus = document.getElementById("reload-status");
  const newConversation = document.getElementById("new-conversation");

  function newSender() {
    const id = window.crypto && window.crypto.randomUUID
      ? window.crypto.randomUUID()
      : String(Date.now()) + "-" + String(Math.random()).slice(2);
    window.sessionStorage.setItem("editor-sender", id);
    return id;
  }
  let sender = window.sessionStorage.getItem("editor-sender") || newSender();

  const el = window.EditorShell.el;

  function fixed(value) {
    return typeof value === "number" ? value.toFixed(3) : "–";
  }

  function safeLink(url, label) {
    // Only web links become anchors; anything else (javascript:, data:) stays plain text.
    if (typeof url === "string" && /^https?:\/\//i.test(url)) {
      const a = el("a", label);
      a.href = url;
      a.rel = "noopener noreferrer";
      a.target = "_blank";
      return a;
    }
    return el("span", label);
  }

  function table(caption, headers, rows) {
    const wrap = el("div", null, "table-wrap");
    const t = el("table");
    t.appendChild(el("caption", caption));
    const head = el("thead");
    const hr = el("tr");
    headers.forEach(function (h) {
      const th = el("th", h);
      th.scope = "col";
      hr.appendChild(th);
    });
    head.appendChild(hr);
    t.appendChild(head);
    const body = el("tbody");
    rows.forEach(function (row) { body.appendChild(row); });
    t.appendChild(body);
    wrap.appendChild(t);
    return wrap;
  }

  function understanding(turn) {
    const box = el("div", null, "debug");
    box.appendChild(el("h3", "How the bot understood the message"));
    const dl = el("dl");
    function item(term, value) {
      dl.appendChild(el("dt", term));
      const dd = el("dd", value);
      dd.dataset.field = term.toLowerCase();
      dl.appendChild(dd);
    }
    const intent = turn.intent || {};
    item("Intent", (intent.name || "none") + " (confidence " + fixed(intent.confidence) + ")");
    const others = (turn.ranking || []).slice(1).map(function (r) { return r.name + " " + fixed(r.confidence); });
    item("Runners-up", others.length ? others.join(", ") : "none");
    const entities = (turn.entities || []).map(function (e) {
      const said = e.text ? " from “" + e.text + "”" : "";
      return e.entity + " = " + e.value + said + (e.extractor ? " [" + e.extractor + "]" : "");
    });
    item("Entities", entities.length ? entities.join("; ") : "none");
    const slots = (turn.slots || []).map(function (s) { return s.name + " = " + (s.value === null ? "none" : s.value); });
    item("Slots set", slots.length ? slots.join("; ") : "none");
    box.appendChild(dl);
    const actionRows = (turn.actions || []).map(function (a) {
      const tr = el("tr");
      tr.appendChild(el("td", a.name));
      tr.appendChild(el("td", a.policy || "–"));
      tr.appendChild(el("td", fixed(a.confidence)));
      return tr;
    });
    box.appendChild(table("Actions and the policy that chose each", ["Action", "Policy", "Confidence"], actionRows));
    return box;
  }

  function passages(preview) {
    const box = el("div", null, "debug");
    const scope = preview.drafts ? "drafts included" : "published passages only";
    box.appendChild(el("h3", "Passages ranked (" + scope + "; content revision " + (preview.revision === null ? "unknown" : preview.revision) + ")"));
    if (!preview.searches || !preview.searches.length) {
      box.appendChild(el("p", "No search was made for this reply."));
      return box;
    }
    preview.searches.forEach(function (hits, index) {
      const rows = hits.map(function (hit, rank) {
        const tr = el("tr", null, hit.chosen ? "chosen" : "");
        tr.appendChild(el("td", String(rank + 1) + (hit.chosen ? " (used)" : "")));
        const passage = el("td");
        passage.appendChild(el("span", hit.title));
        passage.appendChild(document.createElement("br"));
        passage.appendChild(el("code", hit.id));
        tr.appendChild(passage);
        const status = el("td");
        status.appendChild(el("span", hit.status, "badge " + (hit.status === "draft" ? "draft" : "published")));
        tr.appendChild(status);
        tr.appendChild(el("td", fixed(hit.score)));
        const sources = el("td");
        (hit.sources || []).forEach(function (s, i) {
          if (i) sources.appendChild(document.createTextNode("; "));
          sources.appendChild(safeLink(s.url, (s.publisher ? s.publisher + ": " : "") + s.title));
        });
        tr.appendChild(sources);
        return tr;
      });
      const caption = "Search " + (index + 1) + (hits.length ? "" : ": nothing matched");
      box.appendChild(table(caption, ["Rank", "Passage", "Status", "Score", "Sources"], rows));
    });
    return box;
  }

  function addUser(text) {
    const li = el("div", null, "msg user");
    li.appendChild(el("p", "You", "who"));
    li.appendChild(el("p", text, "text"));
    log.appendChild(li);
  }

  function addError(text) {
    const li = el("div", null, "msg error");
    li.appendChild(el("p", text, "text"));
    log.appendChild(li);
  }

  // A reply with reply data is rendered from it (reply.js); a plain message (a domain response) as its text.
  function replyContent(reply) {
    if (reply.reply === null || reply.reply === undefined) return el("p", reply.text, "text");
    try {
      return window.EditorReply.render(document, reply.reply);
    } catch (e) {
      return el("p", "This reply was not shown: " + e.message + ".", "text refused");
    }
  }

  function addTurn(data) {
    const replies = data.replies || [];
    let last = null;
    replies.forEach(function (reply) {
      const li = el("div", null, "msg bot");
      li.appendChild(el("p", "Bot", "who"));
      li.appendChild(replyContent(reply));
      if (reply.buttons && reply.buttons.length) {
        const quick = el("div", null, "quick-replies");
        reply.buttons.forEach(function (b) {
          const button = el("button", b.title, "quick");
          button.type = "button";
          button.addEventListener("click", function () { ask(b.payload, b.title); });
          quick.appendChild(button);
        });
        li.appendChild(quick);
      }
      if (reply.preview) li.appendChild(passages(reply.preview));
      log.appendChild(li);
      last = li;
    });
    if (!last) {
      last = el("div", null, "msg bot");
      last.appendChild(el("p", "Bot", "who"));
      last.appendChild(el("p", "(no reply)", "text"));
      log.appendChild(last);
    }
    last.appendChild(understanding(data));
    last.scrollIntoView({ block: "nearest" });
  }

  async function postJson(path, body) {
    const response = await fetch(base + path, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Editor-Shell": "1" },
      credentials: "same-origin",
      body: JSON.stringify(body),
    });
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    return { status: response.status, data: data };
  }

  async function ask(message, shown) {
    addUser(shown || message);
    send.disabled = true;
    busy.hidden = false;
    try {
      const body = { sender: sender, message: message, drafts: drafts.checked };
      if (lang.value) body.lang = lang.value;
      const result = await postJson("message", body);
      if (result.status === 200 && result.data) addTurn(result.data);
      else addError("The message was not answered (" + result.status + "): " + ((result.data && result.data.message) || "unknown error"));
    } catch (e) {
      addError("The bot could not be reached: " + e.message);
    } finally {
      send.disabled = false;
      busy.hidden = true;
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const message = input.value.trim();
    if (!message) return;
    input.value = "";
    ask(message);
    input.focus();
  });

  newConversation.addEventListener("click", function () {
    sender = newSender();
    while (log.firstChild) log.removeChild(log.firstChild);
    reloadStatus.textContent = "";
    reloadStatus.appendChild(el("p", "A new conversation has started."));
    input.focus();
  });

  // The passage editor (editing.js) previews a passage by asking one of its questions here, drafts included.
  window.EditorChat = {
    ask: function (message) {
      drafts.checked = true;
      return ask(message);
    },
  };

  reloadButton.addEventListener("click", async function () {
    reloadButton.disabled = true;
    reloadStatus.textContent = "";
    reloadStatus.appendChild(el("p", "Loading the content files…"));
    try {
      const result = await postJson("reload", {});
      const data = result.data || {};
      reloadStatus.textContent = "";
      const summary = el("p", data.message || ("Reload failed (" + result.status + ")."), data.ok ? "ok" : "failed");
      summary.id = "reload-summary";
      reloadStatus.appendChild(summary);
      if (data.ok) {
        reloadStatus.appendChild(el("p",
          data.published + " published and " + data.drafts + " draft passages; content revision " + data.revision +
          ". The bot answers from it within " + data.reload_seconds + " seconds, without a restart."));
      }
      if (data.problems && data.problems.length) {
        const list = el("ul");
        list.id = "reload-problems";
        data.problems.forEach(function (p) { list.appendChild(el("li", p.file + ": " + p.item + ": " + p.problem)); });
        reloadStatus.appendChild(list);
      }
    } catch (e) {
      reloadStatus.textContent = "";
      reloadStatus.appendChild(el("p", "The server could not be reached: " + e.message, "failed"));
    } finally {
      reloadButton.disabled = false;
    }
  });
})();
