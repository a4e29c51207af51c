// Builds dist/widget.js: one self-contained script (socket.io client, styles and widget) to embed with a
// single <script> tag. `make widget` runs it after `npm ci`; the bot serves dist/ (bot/channels/widget.py).

import { mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const outdir = join(here, "dist");

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });
await build({
  entryPoints: [join(here, "src", "index.js")],
  outfile: join(outdir, "widget.js"),
  bundle: true,
  format: "iife",
  globalName: "SpasticityWidget",
  platform: "browser",
  // Browsers of the last few years: Chromium 90, Firefox 90, Safari 14 (shadow DOM, BroadcastChannel fallback).
  target: ["chrome90", "firefox90", "safari14"],
  loader: { ".css": "text" },
  minify: true,
  sourcemap: "linked",
  legalComments: "linked",
  logLevel: "warning",
});
console.log(`built ${join("widget", "dist", "widget.js")}`);
