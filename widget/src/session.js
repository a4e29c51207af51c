// The conversation's id. The bot issues it (a random id with the server's signature, on `session_request`) and
// the widget keeps it in localStorage, so a reload or a new tab continues the same conversation. It is a secret:
// it travels only inside Socket.IO payloads and POST bodies, never in a URL (bot/channels/widget_session.py).

// `<22 characters>.<22 characters>` of URL-safe base64: the shape of the ids the server issues.
const SESSION_ID = /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}$/;

/** True for a value shaped like an id the server issues (only the server can tell a genuine one). */
export function isSessionId(value) {
  return typeof value === "string" && SESSION_ID.test(value);
}

function storage(kind) {
  try {
    const store = globalThis[kind];
    const probe = "__sw_probe__";
    store.setItem(probe, probe);
    store.removeItem(probe);
    return store;
  } catch {
    return null; // storage disabled (private mode, blocked cookies): the conversation lasts one page view
  }
}

/** Reads a value kept for this server, or null. */
export function readValue(kind, key) {
  const store = storage(kind);
  return store ? store.getItem(key) : null;
}

/** Keeps a value for this server; silently does nothing when storage is unavailable. */
export function writeValue(kind, key, value) {
  const store = storage(kind);
  if (!store) return;
  if (value === null) store.removeItem(key);
  else store.setItem(key, value);
}

function sessionKey(serverUrl) {
  return `spasticity-widget:session:${serverUrl}`;
}

/** The session id stored for `serverUrl`, or null when there is none yet (the server will issue one). */
export function loadSessionId(serverUrl) {
  const stored = readValue("localStorage", sessionKey(serverUrl));
  return isSessionId(stored) ? stored : null;
}

/** Stores the id the server confirmed (or forgets it, with null). */
export function saveSessionId(serverUrl, sessionId) {
  writeValue("localStorage", sessionKey(serverUrl), isSessionId(sessionId) ? sessionId : null);
}
