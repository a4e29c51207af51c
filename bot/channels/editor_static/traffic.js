// Editors' shell: the traffic review (bot/channels/editor_traffic.py). It shows the daily counts, the
// scrubbed words of recent emergency, dosing and unanswered turns, and the reasons given for "not helpful";
// a message can be saved as an evaluation question by its stored id. Text is always set with textContent.
"use strict";

(function () {
  const base = window.location.pathname.replace(/\/?$/, "/").replace(/traffic\/$/, "");
  const $ = function (id) { return document.getElementById(id); };
  const KIND_TITLES = { emergency: "Emergency replies", dosing: "Dosing refusals", unanswered: "Unanswered questions" };
  const CATEGORY_LABELS = {
    answer: "answer from the library",
    emergency: "emergency",
    dosing_refusal: "dosing refusal",
    out_of_scope: "out of scope",
    adversarial: "adversarial (trying to break the rules)",
  };
  let data = null;

  const el = window.EditorShell.el;
  const request = window.EditorShell.requester(base);
  // Every table here names its rows by their first cell (a day, a time).
  function table(caption, headers, rows) { return window.EditorShell.table(caption, headers, rows, true); }

  function when(iso) { return iso.replace("T", " ").slice(0, 16) + " UTC"; }

  function select(id, label, options, chosen) {
    const wrap = el("div", null, "field");
    const l = el("label", label);
    l.htmlFor = id;
    const s = el("select");
    s.id = id;
    options.forEach(function (o) {
      const option = el("option", o[1]);
      option.value = o[0];
      if (o[0] === chosen) option.selected = true;
      s.appendChild(option);
    });
    wrap.appendChild(l);
    wrap.appendChild(s);
    return { wrap: wrap, select: s };
  }

  function saveControls(turn, kind) {
    const box = el("div");
    const category = select("cat-" + turn.id, "Should get", data.categories.map(function (c) {
      return [c, CATEGORY_LABELS[c] || c];
    }), data.default_category[kind]);
    const topics = [["", "choose a topic"]].concat(data.topics.map(function (t) { return [t.id, t.title]; }));
    const topic = select("topic-" + turn.id, "Topic that should answer it", topics, "");
    const save = el("button", "Save as evaluation question", "small");
    save.type = "button";
    save.setAttribute("aria-describedby", "msg-" + turn.id);
    function showTopic() { topic.wrap.hidden = category.select.value !== "answer"; }
    category.select.addEventListener("change", showTopic);
    showTopic();
    save.addEventListener("click", async function () {
      save.disabled = true;
      const body = { turn: turn.id, category: category.select.value };
      if (category.select.value === "answer") body.topic = topic.select.value || null;
      const result = await request("traffic/save", body);
      save.disabled = false;
      $("save-status").textContent = result.data.message || ("The question was not saved (" + result.status + ").");
      $("save-status").className = result.data.ok ? "ok" : "error";
      if (result.data.ok) save.textContent = "Saved";
    });
    box.appendChild(category.wrap);
    box.appendChild(topic.wrap);
    box.appendChild(save);
    return box;
  }

  function renderDaily() {
    const kinds = data.kinds;
    const rows = data.daily.map(function (d) { return [d.day].concat(kinds.map(function (k) { return d[k]; })); });
    const holder = $("daily");
    holder.replaceChildren(table("Turns per day by kind (UTC)", ["Day"].concat(kinds), rows));
  }

  function renderRecent() {
    const holder = $("recent");
    holder.replaceChildren();
    Object.keys(KIND_TITLES).forEach(function (kind) {
      const turns = data.recent[kind] || [];
      const h = el("h3", KIND_TITLES[kind] + " (" + turns.length + ")");
      holder.appendChild(h);
      if (!turns.length) { holder.appendChild(el("p", "None recorded.", "hint")); return; }
      const rows = turns.map(function (t) {
        const message = el("p", t.question, "text");
        message.id = "msg-" + t.id;
        return [when(t.at), message, saveControls(t, kind)];
      });
      const wrap = el("div", null, "table-wrap");
      wrap.appendChild(table(KIND_TITLES[kind] + ", newest first", ["When", "Message (scrubbed)", "Save it"], rows));
      holder.appendChild(wrap);
    });
  }

  function renderReasons() {
    const labels = data.reasons.labels;
    const counts = Object.keys(labels).map(function (r) { return [labels[r], data.reasons.counts[r] || 0]; });
    $("reason-counts").replaceChildren(table("Reasons given", ["Reason", "Times"], counts));
    const recent = data.reasons.recent.map(function (r) {
      return [when(r.at), labels[r.reason] || r.reason, r.question || "–", (r.passages || []).join(", ") || "–"];
    });
    $("reasons").replaceChildren(recent.length
      ? table("Latest reasons, newest first", ["When", "Reason", "Question", "Passages shown"], recent)
      : el("p", "No reasons given yet.", "hint"));
  }

  async function load() {
    $("traffic-status").textContent = "Loading…";
    const result = await request("traffic/data?days=" + encodeURIComponent($("days").value));
    if (result.status !== 200) {
      $("traffic-status").textContent = result.data.message || ("The traffic could not be read (" + result.status + ").");
      return;
    }
    data = result.data;
    renderDaily();
    renderRecent();
    renderReasons();
    $("retention").textContent = "Everything here is deleted " + data.retention_days + " days after it was recorded.";
    $("traffic-status").textContent = "Showing the last " + data.daily.length + " days.";
  }

  $("days").addEventListener("change", load);
  load();
})();
