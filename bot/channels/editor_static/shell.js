// Editors' shell: the helpers every page of the shell uses (index.html's editing, traffic.html's review), so
// a table or a request is built the same way everywhere. Text is always set with textContent.
"use strict";

window.EditorShell = (function () {
  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  // A request function for the shell's routes under `base`: JSON in and out, same origin only, with the header
  // the server requires of the shell's own requests. It never throws on a bad body: the data is then {}.
  function requester(base) {
    return async function request(path, body) {
      const options = { credentials: "same-origin", headers: { "X-Editor-Shell": "1" } };
      if (body !== undefined) {
        options.method = "POST";
        options.headers["Content-Type"] = "application/json";
        options.body = JSON.stringify(body);
      }
      const response = await fetch(base + path, options);
      let data = {};
      try { data = await response.json(); } catch (e) { data = {}; }
      return { status: response.status, data: data };
    };
  }

  // A table with a caption and column headers. With `rowHeaders`, each row's first cell is its header (a
  // screen reader then names the row when it reads a cell). A cell is a node or text; null shows a dash.
  function table(caption, headers, rows, rowHeaders) {
    const t = el("table");
    t.appendChild(el("caption", caption));
    const head = el("thead");
    const hr = el("tr");
    headers.forEach(function (h) { const th = el("th", h); th.scope = "col"; hr.appendChild(th); });
    head.appendChild(hr);
    t.appendChild(head);
    const tbody = el("tbody");
    rows.forEach(function (cells) {
      const tr = el("tr");
      cells.forEach(function (cell, i) {
        const header = rowHeaders && i === 0;
        const td = el(header ? "th" : "td");
        if (header) td.scope = "row";
        if (cell instanceof Node) td.appendChild(cell); else td.textContent = cell === null ? "–" : String(cell);
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
    });
    t.appendChild(tbody);
    return t;
  }

  return { el: el, requester: requester, table: table };
})();
