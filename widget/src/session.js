// The conversation's id: a random UUID kept in localStorage, so a reload or a new tab continues the same
// conversation (Rasa's socket.io channel with session_persistence puts every tab of it in one room).

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A version 4 UUID from the browser's cryptographic random source (also on plain-http pages). */
export function newSessionId() {
  if (globalThis.crypto && typeof globalThis.crypto.randomUUID === "function") {
    return globalThis.crypto.randomUUID();
  }
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** True for the ids this widget makes; the server checks the same shape. */
export function isSessionId(value) {
  return typeof value === "string" && UUID.test(value);
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

/** The stored session id for `serverUrl`, or a new one that is stored for the next page view. */
export function loadSessionId(serverUrl) {
  const key = `spasticity-widget:session:${serverUrl}`;
  const stored = readValue("localStorage", key);
  if (isSessionId(stored)) return stored;
  const fresh = newSessionId();
  writeValue("localStorage", key, fresh);
  return fresh;
}
