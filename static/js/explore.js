// The forward-pass explorer (templates/widgets/explore.html), on top of widgets.js:
// buttons that set several fields at once (stage, block, head), focus kept on the button
// pressed across redraws, arrow keys in the grid of 30 blocks, the state in /explore's
// address, and a dot of data travelling from the old stage to the new one (none when the
// reader prefers reduced motion).

const FORM = "form[data-widget-form]";
let pending = null; // { widget id, key of the button pressed, stage before }

function reducedMotion() { return matchMedia("(prefers-reduced-motion: reduce)").matches; }
function explorerOf(el) { return el instanceof Element ? el.closest(".widget[data-widget='explore']") : null; }
function stageOf(widget) { const box = widget.querySelector("[data-xp]"); return box ? box.dataset.stage : ""; }

// Set fields the way a person would; the stage goes first, so that widgets.js (on
// "change") enables the controls that stage uses before their values are set.
function setFields(form, values) {
  const names = Object.keys(values).sort((a, b) => (b === "stage") - (a === "stage"));
  for (const name of names) {
    const el = form.elements.namedItem(name);
    if (!(el instanceof HTMLElement)) continue;
    el.value = String(values[name]);
    document.querySelectorAll(`output[data-mirror="${CSS.escape(el.id)}"]`).forEach((out) => { out.textContent = el.value; });
    el.dispatchEvent(new Event("change", { bubbles: true }));
  }
}

function syncAddress(widget) {
  if (!document.body.classList.contains("page-explore")) return;
  const form = widget.querySelector(FORM);
  const query = new URLSearchParams();
  for (const [name, value] of new FormData(form)) query.set(name, value);
  history.replaceState(history.state, "", `/explore?${query}`);
}

function centre(el) {
  const box = el.getBoundingClientRect();
  return [box.left + Math.min(22, box.width / 2), box.top + box.height / 2];
}

// A dot runs from the stage that was open to the one now open, then the new one glows.
function flow(widget, before) {
  const now = stageOf(widget);
  const from = widget.querySelector(`.xp-node[data-node="${CSS.escape(before)}"]`);
  const to = widget.querySelector(".xp-node.is-open");
  if (!before || before === now || !from || !to || reducedMotion()) return;
  const [x0, y0] = centre(from);
  const [x1, y1] = centre(to);
  const dot = document.createElement("span");
  dot.className = "xp-packet";
  dot.setAttribute("aria-hidden", "true");
  document.body.append(dot);
  const run = dot.animate([
    { transform: `translate(${x0}px, ${y0}px) scale(.6)`, opacity: 0.2 },
    { transform: `translate(${x0}px, ${y0}px) scale(1)`, opacity: 1, offset: 0.15 },
    { transform: `translate(${x1}px, ${y1}px) scale(1)`, opacity: 1 },
  ], { duration: 650, easing: "ease-in-out" });
  run.finished.then(() => dot.remove(), () => dot.remove());
  to.classList.remove("is-arriving");
  void to.offsetWidth; // restart the glow if the same node arrives twice
  to.classList.add("is-arriving");
}

function restoreFocus(widget, key) {
  const again = key && widget.querySelector(`[data-xp-key="${CSS.escape(key)}"]`);
  if (again && !again.disabled) {
    again.focus({ preventScroll: true });
    return;
  }
  const title = widget.querySelector(".xp-panel h4");
  if (title) { title.tabIndex = -1; title.focus({ preventScroll: true }); }
}

// On a narrow screen the panel sits under the diagram: bring it into view.
function revealPanel(widget) {
  const panel = widget.querySelector(".xp-panel");
  if (!panel) return;
  const box = panel.getBoundingClientRect();
  if (box.top > innerHeight - 80 || box.bottom < 0) {
    panel.scrollIntoView({ behavior: reducedMotion() ? "auto" : "smooth", block: "start" });
  }
}

document.addEventListener("click", (event) => {
  // "Edit the prompt": the prompt box sits under the explorer; take the reader there.
  const edit = event.target instanceof Element && event.target.closest("a[data-xp-edit]");
  const box = edit && document.querySelector(edit.getAttribute("href"));
  if (box) {
    event.preventDefault();
    box.scrollIntoView({ behavior: reducedMotion() ? "auto" : "smooth", block: "center" });
    box.focus({ preventScroll: true });
    return;
  }
  const button = event.target instanceof Element && event.target.closest("[data-xp-set]");
  const widget = explorerOf(button);
  const form = widget && widget.querySelector(FORM);
  if (!form || button.disabled) return;
  pending = { id: widget.id, key: button.dataset.xpKey, before: stageOf(widget),
    reveal: !button.closest(".xp-panel") };
  setFields(form, JSON.parse(button.dataset.xpSet));
  htmx.trigger(form, "setup");
});

// The 30 blocks are one tab stop; arrow keys, Home and End move between them.
document.addEventListener("keydown", (event) => {
  const button = event.target instanceof Element && event.target.closest("[data-xp-roving] > button");
  if (!button) return;
  const all = [...button.parentElement.querySelectorAll(":scope > button")];
  const at = all.indexOf(button);
  const moves = { ArrowRight: at + 1, ArrowDown: at + 1, ArrowLeft: at - 1, ArrowUp: at - 1, Home: 0, End: all.length - 1 };
  if (!(event.key in moves)) return;
  event.preventDefault();
  const next = all[Math.max(0, Math.min(all.length - 1, moves[event.key]))];
  all.forEach((b) => { b.tabIndex = b === next ? 0 : -1; });
  next.focus();
});

document.body.addEventListener("htmx:afterSwap", (event) => {
  const target = event.detail.target;
  const widget = explorerOf(target);
  if (!widget || !target.classList.contains("widget-result")) return;
  syncAddress(widget);
  if (!pending || pending.id !== widget.id) return;
  const { key, before, reveal } = pending;
  pending = null;
  restoreFocus(widget, key);
  if (reveal) revealPanel(widget);
  flow(widget, before);
});
