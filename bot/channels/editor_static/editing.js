// Editors' shell: the passages, the passage editor (validate, save as draft, preview, publish, sign off),
// what is due for review and the change log. The server does every check (bot/editing); this page shows
// the loader's own messages next to the fields they are about. Text is always set with textContent.
"use strict";

(function () {
  const base = window.location.pathname.replace(/\/?$/, "/");
  const $ = function (id) { return document.getElementById(id); };
  const state = { me: null, catalogue: null, passages: [], current: null, opener: null };
  const FIELDS = ["f-id", "f-file", "f-title", "f-topic", "f-text", "f-questions", "f-sources", "f-months",
    "f-note", "f-rechecked"];

  const el = window.EditorShell.el;

  function button(label, onClick, className) {
    const b = el("button", label, className);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

  const request = window.EditorShell.requester(base);
  const table = window.EditorShell.table;

  function replace(container, node) {
    container.textContent = "";
    if (node) container.appendChild(node);
  }

  function statusBadge(p) {
    if (p.replaces) return el("span", "pending edit", "badge draft");
    return el("span", p.status, "badge " + (p.status === "published" ? "published" : "draft"));
  }

  function signoffText(s) {
    if (!s) return "not signed off";
    return s.counts ? "signed off " + s.date : "sign-off of " + s.date + " predates the last re-check";
  }

  function openButton(p) {
    const b = button("Open", function () { openPassage(p.id, b); }, "secondary small");
    b.setAttribute("aria-label", "Open " + (p.title || p.id));
    return b;
  }

  // -- who is logged in ---------------------------------------------------------------------------------

  async function loadMe() {
    const result = await request("me");
    if (result.status !== 200) { $("who").textContent = "Not logged in."; return; }
    state.me = result.data.editor;
    const me = state.me;
    $("who").textContent = me.via === "token"
      ? "Logged in with the shared editor token: you can edit and publish, but not sign off."
      : "Logged in as " + me.display + " (" + me.name + ", " + me.role + ")" +
        (me.may_sign_off ? ": you can sign passages off." : ".");
    $("logout").hidden = me.via !== "account";
  }

  $("logout").addEventListener("click", async function () {
    await request("logout", {});
    window.location.reload();
  });

  // -- the list ---------------------------------------------------------------------------------------

  async function loadPassages() {
    const result = await request("passages");
    if (result.status !== 200) return;
    state.passages = result.data.passages;
    state.catalogue = result.data;
    fillChoices();
    renderList();
  }

  function matches(p) {
    const words = $("filter").value.trim().toLowerCase();
    const status = $("status-filter").value;
    if (words && (p.id + " " + p.title + " " + p.topic).toLowerCase().indexOf(words) < 0) return false;
    if (status === "published") return p.status === "published";
    if (status === "draft") return p.status !== "published";
    if (status === "pending") return Boolean(p.pending);
    if (status === "unsigned") return !(p.signoff && p.signoff.counts);
    return true;
  }

  function renderList() {
    const shown = state.passages.filter(matches);
    const rows = shown.map(function (p) {
      const name = el("span");
      name.appendChild(el("span", p.title || "(no title)"));
      name.appendChild(document.createElement("br"));
      name.appendChild(el("code", p.id));
      const status = el("span");
      status.appendChild(statusBadge(p));
      if (p.pending) status.appendChild(el("span", " (edit pending)"));
      return [name, p.topic, status, p.reviewed, p.due, signoffText(p.signoff), openButton(p)];
    });
    $("passage-count").textContent = shown.length + " of " + state.passages.length + " passages shown.";
    replace($("passage-table"), table("Passages, in file order",
      ["Passage", "Topic", "Status", "Re-checked", "Next re-check", "Clinical sign-off", "Open"], rows));
  }

  $("filter").addEventListener("input", renderList);
  $("status-filter").addEventListener("change", renderList);

  function fillChoices() {
    const c = state.catalogue;
    const topic = $("f-topic");
    topic.textContent = "";
    topic.appendChild(el("option", "(choose a topic)")).value = "";
    c.topics.forEach(function (t) { topic.appendChild(el("option", t.title + " (" + t.id + ")")).value = t.id; });
    const file = $("f-file");
    file.textContent = "";
    file.appendChild(el("option", "the file of its topic (chosen for you)")).value = "";
    c.files.forEach(function (f) { file.appendChild(el("option", f)).value = f; });
    replace($("source-table"), table("Sources you can cite", ["Id", "Publisher", "Title"],
      c.sources.map(function (s) { return [el("code", s.id), s.publisher, s.title]; })));
  }

  // -- one passage ------------------------------------------------------------------------------------

  function clearProblems() {
    $("problems").hidden = true;
    $("problems-list").textContent = "";
    FIELDS.forEach(function (id) {
      const input = $(id);
      input.removeAttribute("aria-invalid");
      const error = $(id + "-error");
      if (error) error.remove();
      const described = (input.getAttribute("aria-describedby") || "").split(" ").filter(function (d) {
        return d && d !== id + "-error";
      });
      if (described.length) input.setAttribute("aria-describedby", described.join(" "));
      else input.removeAttribute("aria-describedby");
    });
  }

  function fieldFor(problem) {
    const t = problem.problem;
    if (/'title'/.test(t)) return "f-title";
    if (/topic/.test(t)) return "f-topic";
    if (/source/.test(t)) return "f-sources";
    if (/question/.test(t)) return "f-questions";
    if (/review_every_months/.test(t)) return "f-months";
    if (/review_note/.test(t)) return "f-note";
    if (/'reviewed'/.test(t)) return "f-rechecked";
    if (/\bid\b/.test(t) && !state.current) return "f-id";
    return "f-text";
  }

  function showProblems(data, status) {
    clearProblems();
    const mine = state.current ? [state.current.id, state.current.id.replace(/\.draft$/, "")] : [$("f-id").value.trim()];
    $("problems-title").textContent = status === 422 ? "The passage was not saved" : "That was not done";
    $("problems-message").textContent = data.message || "The server said no (" + status + ").";
    (data.problems || []).forEach(function (p) {
      const li = el("li");
      const ours = mine.indexOf(p.item) >= 0 || mine.indexOf(p.item.replace(/\.draft$/, "")) >= 0;
      const field = ours ? fieldFor(p) : null;
      if (field && !$(field).closest("[hidden]")) {
        const a = el("a", p.problem);
        a.href = "#" + field;
        a.addEventListener("click", function (event) { event.preventDefault(); $(field).focus(); });
        li.appendChild(a);
        li.appendChild(el("span", " (" + p.file + ")"));
        const input = $(field);
        input.setAttribute("aria-invalid", "true");
        let error = $(field + "-error");
        if (!error) {
          error = el("p", "", "error");
          error.id = field + "-error";
          input.parentNode.insertBefore(error, input);
          input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " " + error.id).trim());
        }
        error.textContent = (error.textContent ? error.textContent + " " : "") + p.problem + ".";
      } else {
        li.textContent = p.file + ": " + p.item + ": " + p.problem;
      }
      $("problems-list").appendChild(li);
    });
    $("problems").hidden = false;
    $("problems").focus();
  }

  function fact(term, value) {
    $("facts").appendChild(el("dt", term));
    const dd = el("dd");
    if (value instanceof Node) dd.appendChild(value); else dd.textContent = value;
    $("facts").appendChild(dd);
  }

  function setForm(fields) {
    $("f-title").value = fields.title || "";
    $("f-topic").value = fields.topic || "";
    $("f-text").value = fields.text || "";
    $("f-questions").value = (fields.questions || []).join("\n");
    $("f-sources").value = (fields.sources || []).join(", ");
    $("f-months").value = fields.review_every_months || 12;
    $("f-note").value = fields.review_note || "";
    $("f-rechecked").checked = false;
    countWords();
  }

  function countWords() {
    const words = $("f-text").value.trim().split(/\s+/).filter(Boolean).length;
    $("f-text-count").textContent = words + " words.";
  }
  $("f-text").addEventListener("input", countWords);

  function showEditor(title) {
    $("editor").hidden = false;
    $("editor-title").textContent = title;
    $("confirm").hidden = true;
    clearProblems();
    $("editor-title").focus();
  }

  function newPassage() {
    state.current = null;
    state.opener = $("new-passage");
    $("facts").textContent = "";
    $("warnings").textContent = "";
    $("passage-actions").textContent = "";
    $("editor-result").textContent = "";
    $("new-fields").hidden = false;
    $("f-id").value = "";
    $("f-file").value = "";
    setForm({});
    $("form-title").textContent = "Write the passage";
    $("form-help").textContent = "It is saved as a draft: patients do not get it until you publish it.";
    $("save").textContent = "Save as a new draft";
    $("f-rechecked-hint").textContent = "Sets its review date to " + state.catalogue.today +
      ". A new passage needs one: check it against its sources before you save it.";
    $("recheck-box").hidden = true;
    $("signoff-box").hidden = true;
    replace($("history"), null);
    showEditor("New passage");
  }
  $("new-passage").addEventListener("click", newPassage);

  async function openPassage(id, opener) {
    const result = await request("passage?id=" + encodeURIComponent(id));
    if (result.status !== 200) { $("editor-result").textContent = result.data.message || "Not found."; return; }
    if (opener) state.opener = opener;
    showPassage(result.data);
  }

  function showPassage(d) {
    state.current = d;
    const pendingEdit = Boolean(d.replaces);
    $("new-fields").hidden = true;
    setForm(d.fields);
    $("facts").textContent = "";
    fact("Id", d.id);
    fact("Status", d.status === "published" ? "published: patients get it"
      : pendingEdit ? "draft: a pending edit of " + d.replaces + " (patients get that one as published)"
        : "draft: patients do not get it");
    fact("File", d.file);
    fact("Re-checked against its sources", d.reviewed || "never");
    fact("Next re-check due", d.due ? d.due + (d.overdue ? " (overdue)" : "") : "–");
    const s = d.signoff;
    fact("Clinical sign-off", !s ? "not signed off by a clinician"
      : s.counts ? "signed off by " + s.by + " on " + s.date + (s.note ? ": " + s.note : "")
        : "signed off by " + s.by + " on " + s.date + ", before its last re-check on " + d.reviewed +
          ", so it no longer counts");
    $("warnings").textContent = "";
    d.warnings.forEach(function (w) { $("warnings").appendChild(el("li", w)); });
    renderActions(d);
    $("form-title").textContent = d.status === "published" ? "Change the passage" : "Edit the draft";
    $("form-help").textContent = d.status === "published"
      ? "Changing what patients read saves a pending edit; patients keep this version until you publish the edit."
      : "Saved as a draft: patients do not get it until it is published.";
    $("save").textContent = d.status === "published" ? "Save as a pending edit" : "Save the draft";
    $("f-rechecked-hint").textContent = "Sets its review date to " + state.catalogue.today +
      ". Leave it unticked if you did not: the date stays " + (d.reviewed || "unset") + ".";
    $("recheck-box").hidden = false;
    $("recheck-note").value = "";
    $("signoff-box").hidden = false;
    const signed = d.signoff && d.signoff.counts ? "This version is signed off (see above). " : "This version is not signed off. ";
    $("signoff-state").textContent = signed + (state.me && state.me.may_sign_off
      ? "Signing off records your name and role and today's date on this version."
      : "Only a clinician's own account can sign off a passage; you cannot sign off here.");
    $("signoff-form").hidden = !(state.me && state.me.may_sign_off);
    $("signoff-confirm").checked = false;
    $("signoff-note").value = "";
    replace($("history"), table("Changes to this passage", ["Time (UTC)", "Who", "Action", "Note"],
      d.history.map(function (h) { return [h.time.replace("T", " ").replace("+00:00", ""), h.editor, h.action, h.note]; })));
    showEditor((d.title || d.id) + (pendingEdit ? " (pending edit)" : ""));
  }

  function renderActions(d) {
    const box = $("passage-actions");
    box.textContent = "";
    const first = (d.fields.questions || [])[0];
    if (first) {
      // Focus stays here: the chat below the editor shows the answer and its log announces it.
      box.appendChild(button("Preview in the chat", function () { window.EditorChat.ask(first); }, "secondary"));
    }
    if (d.status !== "published") {
      box.appendChild(button(d.replaces ? "Publish this edit" : "Publish", function (event) {
        confirmThen(event.target, "Publish " + d.id + "? Patients get it from their next message.", "Publish",
          function () { act("publish", {}); });
      }));
      box.appendChild(button(d.replaces ? "Discard this edit" : "Discard the draft", function (event) {
        confirmThen(event.target, "Discard " + d.id + "? Its text is removed from the file.", "Discard",
          function () { act("discard", {}); });
      }, "secondary"));
    } else if (!d.safety) {
      box.appendChild(button("Withdraw from patients", function (event) {
        confirmThen(event.target, "Withdraw " + d.id + "? Patients stop getting it; it becomes a draft.", "Withdraw",
          function () { act("withdraw", {}); });
      }, "secondary"));
    }
    if (d.pending) box.appendChild(button("Open the pending edit", function () { openPassage(d.pending); }, "secondary"));
    if (d.replaces) box.appendChild(button("Open the published version", function () { openPassage(d.replaces); }, "secondary"));
  }

  function confirmThen(opener, question, yesLabel, action) {
    $("confirm-question").textContent = question;
    $("confirm-yes").textContent = yesLabel;
    $("confirm").hidden = false;
    $("confirm-yes").onclick = function () { $("confirm").hidden = true; action(); };
    $("confirm-no").onclick = function () { $("confirm").hidden = true; opener.focus(); };
    $("confirm-question").focus();
  }

  function formBody() {
    const months = $("f-months").value.trim();
    return {
      id: state.current ? state.current.id : $("f-id").value.trim(),
      file: state.current ? null : $("f-file").value || null,
      title: $("f-title").value,
      topic: $("f-topic").value,
      text: $("f-text").value,
      questions: $("f-questions").value.split("\n"),
      sources: $("f-sources").value.split(","),
      review_every_months: months ? Number(months) : null,
      review_note: $("f-note").value,
      rechecked: $("f-rechecked").checked,
      base_hash: state.current ? state.current.hash : null,
    };
  }

  async function act(action, extra) {
    const body = action === "save" ? formBody()
      : Object.assign({ id: state.current.id, base_hash: state.current.hash }, extra);
    $("editor-result").textContent = "Validating and saving…";
    let result;
    try {
      result = await request("passage/" + action, body);
    } catch (e) {
      $("editor-result").textContent = "The server could not be reached: " + e.message;
      return;
    }
    if (result.status !== 200) {
      $("editor-result").textContent = "";
      showProblems(result.data, result.status);
      return;
    }
    const data = result.data;
    await Promise.all([loadPassages(), loadDue(), loadChanges()]);
    if (action === "discard") {
      $("editor").hidden = true;
      $("editor-result").textContent = "";
      $("passage-count").textContent = data.message;
      $("passages-title").focus();
      return;
    }
    await openPassage(data.passage);
    const load = data.load || {};
    $("editor-result").textContent = data.message.replace(/\.$/, "") + ". " + (load.message || "") +
      (load.ok ? " Use “Preview in the chat” to see it answer (drafts included)." : "");
  }

  $("passage-form").addEventListener("submit", function (event) {
    event.preventDefault();
    act("save");
  });
  $("close-editor").addEventListener("click", function () {
    $("editor").hidden = true;
    (state.opener && document.body.contains(state.opener) ? state.opener : $("passages-title")).focus();
  });
  $("recheck").addEventListener("click", function () { act("recheck", { note: $("recheck-note").value }); });
  $("signoff").addEventListener("click", function () {
    act("signoff", { note: $("signoff-note").value, confirmed: $("signoff-confirm").checked });
  });

  // -- due for review and the change log -----------------------------------------------------------------

  async function loadDue() {
    const result = await request("due");
    if (result.status !== 200) return;
    const rows = result.data.passages.map(function (p) {
      const name = el("span");
      name.appendChild(el("span", p.title));
      name.appendChild(document.createElement("br"));
      name.appendChild(el("code", p.id));
      return [p.due, p.when, name, p.reviewed, signoffText(p.signoff), openButton(p)];
    });
    $("due-summary").textContent = rows.length
      ? rows.length + " published passages are due for a re-check against their sources within " +
        result.data.within_days + " days of " + result.data.today + " (or overdue), soonest first."
      : "No published passage is due for a re-check within " + result.data.within_days + " days.";
    replace($("due-table"), rows.length ? table("Passages due for review, soonest first",
      ["Due", "When", "Passage", "Last re-checked", "Clinical sign-off", "Open"], rows) : null);
  }

  async function loadChanges() {
    const result = await request("log?limit=100");
    if (result.status !== 200) return;
    const rows = result.data.entries.map(function (h) {
      return [h.time.replace("T", " ").replace("+00:00", ""), h.editor + " (" + h.role + ")", h.action,
        h.passage, h.note];
    });
    replace($("changes"), rows.length ? table("The latest changes, newest first",
      ["Time (UTC)", "Who", "Action", "Passage", "Note"], rows) : el("p", "Nothing has been changed yet."));
  }

  loadMe().then(function () { return Promise.all([loadPassages(), loadDue(), loadChanges()]); });
})();
