// Editors' shell login: posts the name and password as same-origin JSON; the server sets the session cookie.
"use strict";

(function () {
  const base = window.location.pathname.replace(/\/?$/, "/");
  const form = document.getElementById("login");
  const name = document.getElementById("name");
  const password = document.getElementById("password");
  const button = document.getElementById("log-in");
  const status = document.getElementById("login-status");

  name.focus();
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    if (!name.value.trim() || !password.value) {
      status.textContent = "Give your login name and your password.";
      (name.value.trim() ? password : name).focus();
      return;
    }
    button.disabled = true;
    status.textContent = "Checking…";
    try {
      const response = await fetch(base + "login", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-Editor-Shell": "1" },
        body: JSON.stringify({ name: name.value.trim(), password: password.value }),
      });
      let data = {};
      try { data = await response.json(); } catch (e) { data = {}; }
      if (response.ok && data.ok) {
        status.textContent = "Logged in; opening the shell…";
        window.location.reload();
        return;
      }
      status.textContent = data.message || "Logging in failed (" + response.status + ").";
      password.value = "";
      password.focus();
    } catch (e) {
      status.textContent = "The server could not be reached: " + e.message;
    } finally {
      button.disabled = false;
    }
  });
})();
