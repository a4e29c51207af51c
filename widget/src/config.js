// The embed's configuration: data-* attributes on the script tag (or an object passed to mount), checked
// and completed with defaults, so a bad value gives the default and a console warning, never a broken page.

export const DEFAULT_STRINGS = {
  title: "Questions about spasticity",
  greeting:
    "Hello! I answer questions about spasticity and its treatments, with links to the sources. " +
    "I give general information, not medical advice. What would you like to know?",
  launcher: "Ask about spasticity",
  close: "Close chat",
  // The full-screen toggle's name; aria-pressed says whether it is on.
  fullScreen: "Full screen",
  // Part of the launcher's name while the panel is closed, and said once when the count changes.
  unreadOne: "1 unread message",
  unreadMany: "{n} unread messages",
  startOver: "Start over",
  // Read after "Start over" by screen readers (hidden on screen): what pressing it does.
  startOverHint: "(deletes this conversation)",
  startedOver: "This conversation was deleted. You can ask a new question.",
  startOverOffline: "Not connected: you can start over once the connection is back.",
  inputLabel: "Your question",
  placeholder: "Type your question",
  send: "Send",
  you: "You said:",
  bot: "The bot said:",
  typing: "The bot is typing",
  connecting: "Connecting…",
  connected: "Connected",
  reconnecting: "Connection lost. Reconnecting…",
  reconnected: "Connected again",
  historyFailed: "Earlier messages could not be loaded.",
  quickReplies: "Suggested replies",
  conversation: "Conversation",
  sourcesNote: "{n} sources are linked in the conversation.",
  sourceNote: "1 source is linked in the conversation.",
  disclaimerLabel: "Please note:",
  newTab: "opens in a new tab",
  empty: "Please type a question first.",
  queued: "Not connected yet: your message will be sent when the connection is back.",
  // Shown instead of a reply that arrived without its disclaimer (never expected: a fault on the bot's side).
  unrenderable:
    "Sorry, this answer could not be shown safely. Please ask again. " +
    "In an emergency, call 911 (US), 999 (UK) or 112 (EU).",
};

const DEFAULTS = {
  serverUrl: "",
  socketPath: "/socket.io",
  channelPath: "/webhooks/widget",
  primaryColor: "#005eb8",
  lang: "en",
  position: "right",
  topic: "",
};

const POSITIONS = ["right", "left"];
// The shape of a content id (bot/content/fields.py ID_PATTERN): the bot checks it again, and whether it is a topic.
const TOPIC_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const HEX_COLOUR = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;

// data-* attribute names (without "data-") for each string key the embedder may set.
const STRING_ATTRIBUTES = {
  title: "title",
  greeting: "greeting",
  launcher: "launcher-label",
  close: "close-label",
  fullScreen: "full-screen-label",
  startOver: "start-over-label",
  inputLabel: "input-label",
  placeholder: "placeholder",
  send: "send-label",
};

function channelRgb(hex) {
  const full = hex.length === 4 ? `#${hex[1]}${hex[1]}${hex[2]}${hex[2]}${hex[3]}${hex[3]}` : hex;
  return [1, 3, 5].map((i) => parseInt(full.slice(i, i + 2), 16) / 255);
}

/** WCAG relative luminance of a #rgb or #rrggbb colour. */
export function luminance(hex) {
  const [r, g, b] = channelRgb(hex).map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio of two colours. */
export function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** White or near-black, whichever reads better on `background`: the embedder picks one colour only. */
export function textColourOn(background) {
  return contrast(background, "#ffffff") >= contrast(background, "#111111") ? "#ffffff" : "#111111";
}

function originOf(src) {
  try {
    return new URL(src, globalThis.location.href).origin;
  } catch {
    return globalThis.location.origin;
  }
}

/**
 * The configuration from a script element's data-* attributes and/or an explicit object.
 * @param {HTMLScriptElement | null} script
 * @param {Record<string, unknown>} overrides
 */
export function readConfig(script, overrides = {}) {
  const data = script ? script.dataset : {};
  const config = { ...DEFAULTS, strings: { ...DEFAULT_STRINGS } };
  config.serverUrl = String(overrides.serverUrl || data.serverUrl || (script && script.src ? originOf(script.src) : globalThis.location.origin));
  config.serverUrl = config.serverUrl.replace(/\/+$/, "");
  config.socketPath = String(overrides.socketPath || data.socketPath || DEFAULTS.socketPath);
  config.channelPath = String(overrides.channelPath || data.channelPath || DEFAULTS.channelPath).replace(/\/+$/, "");
  const pageLang = globalThis.document && globalThis.document.documentElement ? globalThis.document.documentElement.lang : "";
  config.lang = String(overrides.lang || data.lang || pageLang || DEFAULTS.lang);
  const colour = String(overrides.primaryColor || data.primaryColor || DEFAULTS.primaryColor).trim();
  if (HEX_COLOUR.test(colour)) {
    config.primaryColor = colour;
  } else {
    console.warn(`spasticity widget: primary colour "${colour}" is not #rgb or #rrggbb; using the default.`);
  }
  config.primaryText = textColourOn(config.primaryColor);
  const position = String(overrides.position || data.position || DEFAULTS.position).trim().toLowerCase();
  if (POSITIONS.includes(position)) {
    config.position = position;
  } else {
    console.warn(`spasticity widget: position "${position}" is not "left" or "right"; using the default.`);
  }
  // A page about one topic opens a new conversation on it; anything not shaped like an id is ignored here.
  const topic = String(overrides.topic || data.topic || "").trim();
  if (TOPIC_ID.test(topic)) {
    config.topic = topic;
  } else if (topic) {
    console.warn("spasticity widget: data-topic is not a topic id (letters, digits, '.', '_', '-'); ignored.");
  }
  for (const [key, attribute] of Object.entries(STRING_ATTRIBUTES)) {
    const camel = attribute.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    const value = overrides[key] ?? data[camel];
    if (typeof value === "string" && value.trim()) config.strings[key] = value.trim();
  }
  if (overrides.strings && typeof overrides.strings === "object") {
    for (const [key, value] of Object.entries(overrides.strings)) {
      if (key in DEFAULT_STRINGS && typeof value === "string") config.strings[key] = value;
    }
  }
  if (data.strings) {
    try {
      const extra = JSON.parse(data.strings);
      for (const [key, value] of Object.entries(extra)) {
        if (key in DEFAULT_STRINGS && typeof value === "string") config.strings[key] = value;
      }
    } catch {
      console.warn("spasticity widget: data-strings is not valid JSON; using the default texts.");
    }
  }
  return config;
}
