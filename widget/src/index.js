// Entry point of the embeddable bundle (window.SpasticityWidget). The script tag mounts the widget with
// its data-* attributes unless it says data-auto-mount="false"; then the page calls
// SpasticityWidget.mount({...}) itself. The renderer is exported too, so browser tests can check it.

import { mount } from "./widget.js";

export { mount };
export { checkReply, renderReply, renderText, safeHref, UnrenderableReply } from "./render.js";

const script = globalThis.document ? globalThis.document.currentScript : null;

if (script && script.dataset.autoMount !== "false") {
  const start = () => mount(script);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start, { once: true });
  else start();
}
