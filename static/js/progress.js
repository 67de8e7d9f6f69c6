// Progress lives in localStorage under one versioned key; no accounts, no server state.
// Shape: {"version": 1, "completed": {"12": "2026-11-24T10:00:00.000Z", ...}}
const KEY = "hlw.progress.v1";
const THEME_KEY = "hlw.theme";
const ID = /^\d{2}[a-z]?$/;

export function loadProgress() {
  try {
    const data = JSON.parse(localStorage.getItem(KEY));
    if (data && data.version === 1 && data.completed && typeof data.completed === "object") return data;
  } catch (e) { /* corrupt or blocked storage: start fresh */ }
  return { version: 1, completed: {} };
}

function saveProgress(data) {
  localStorage.setItem(KEY, JSON.stringify(data));
  render();
}

export function setComplete(id, done) {
  const data = loadProgress();
  if (done) data.completed[id] = new Date().toISOString();
  else delete data.completed[id];
  saveProgress(data);
}

function render() {
  const done = loadProgress().completed;
  document.querySelectorAll("[data-module] [data-state], .lesson-header [data-state]").forEach((el) => {
    const holder = el.closest("[data-module]");
    const complete = holder && Boolean(done[holder.dataset.module]);
    el.textContent = complete ? "Complete" : "Not started";
    el.classList.toggle("is-complete", complete);
  });
  document.querySelectorAll(".card[data-module]").forEach((card) => {
    card.classList.toggle("is-complete", Boolean(done[card.dataset.module]));
  });
  document.querySelectorAll(".complete-toggle").forEach((toggle) => {
    const complete = Boolean(done[toggle.dataset.module]);
    toggle.setAttribute("aria-pressed", String(complete));
    toggle.textContent = complete ? "Completed ✓ (undo)" : "Mark complete";
  });
  document.querySelectorAll(".part").forEach((part) => {
    const count = part.querySelector("[data-part-count]");
    if (!count) return;
    const cards = [...part.querySelectorAll(".card[data-module]")];
    count.textContent = String(cards.filter((c) => done[c.dataset.module]).length);
  });
  renderSummary(done);
}

function renderSummary(done) {
  const panel = document.getElementById("progress-panel");
  if (!panel) return;
  const cards = [...document.querySelectorAll(".card[data-module]")];
  const present = new Set(cards.map((c) => c.dataset.module));
  const count = cards.filter((c) => done[c.dataset.module]).length;
  document.getElementById("progress-count").textContent = String(count);
  const bar = document.getElementById("progress-bar");
  bar.value = count;
  bar.textContent = `${Math.round((100 * count) / Math.max(cards.length, 1))}%`;
  const link = document.getElementById("continue-link");
  const next = cards.find((c) => !done[c.dataset.module] &&
    c.dataset.prereqs.split(" ").filter((p) => p && present.has(p)).every((p) => done[p]));
  const fallback = cards.find((c) => !done[c.dataset.module]);
  const target = next || fallback;
  if (target) {
    link.href = target.querySelector("a").getAttribute("href");
    link.textContent = `${count ? "Continue with" : "Start with"} ${target.dataset.module} · ${target.dataset.title}`;
  } else if (cards.length) {
    link.href = cards[0].querySelector("a").getAttribute("href");
    link.textContent = "All modules complete. Review from the start";
  }
}

function say(text) {
  const box = document.getElementById("progress-message");
  if (box) box.textContent = text;
}

function wireTools() {
  document.querySelectorAll(".complete-toggle").forEach((toggle) => {
    toggle.addEventListener("click", () => {
      setComplete(toggle.dataset.module, toggle.getAttribute("aria-pressed") !== "true");
    });
  });
  const exportBtn = document.getElementById("progress-export");
  if (exportBtn) exportBtn.addEventListener("click", () => {
    const blob = new Blob([JSON.stringify(loadProgress(), null, 2)], { type: "application/json" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = "how-llms-work-progress.json";
    a.click();
    URL.revokeObjectURL(a.href);
    say("Progress exported.");
  });
  const importInput = document.getElementById("progress-import");
  if (importInput) importInput.addEventListener("change", async () => {
    const file = importInput.files[0];
    if (!file) return;
    try {
      const data = JSON.parse(await file.text());
      const ids = Object.keys((data && data.completed) || {});
      if (data.version !== 1 || !ids.every((id) => ID.test(id))) throw new Error("not a progress file");
      saveProgress({ version: 1, completed: data.completed });
      say(`Imported: ${ids.length} module(s) complete.`);
    } catch (e) {
      say("That file is not a progress export from this course; nothing was changed.");
    }
    importInput.value = "";
  });
  const reset = document.getElementById("progress-reset");
  if (reset) reset.addEventListener("click", () => {
    if (reset.dataset.armed !== "true") {
      reset.dataset.armed = "true";
      reset.textContent = "Click again to erase all progress";
      return;
    }
    reset.dataset.armed = "false";
    reset.textContent = "Reset progress";
    saveProgress({ version: 1, completed: {} });
    say("Progress reset.");
  });
}

function wireTheme() {
  const button = document.getElementById("theme-toggle");
  if (!button) return;
  const effective = () => document.documentElement.dataset.theme ||
    (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
  const show = () => {
    const theme = effective();
    button.setAttribute("aria-pressed", String(theme === "dark"));
  };
  button.addEventListener("click", () => {
    const next = effective() === "dark" ? "light" : "dark";
    document.documentElement.dataset.theme = next;
    try { localStorage.setItem(THEME_KEY, next); } catch (e) { /* not remembered */ }
    show();
  });
  show();
}

// Slider readouts: <output data-mirror="input-id"> shows the slider's current value.
function wireMirrors() {
  document.addEventListener("input", (event) => {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || !input.id) return;
    document.querySelectorAll(`output[data-mirror="${CSS.escape(input.id)}"]`).forEach((out) => {
      out.textContent = input.value;
    });
  });
}

window.addEventListener("storage", (event) => {
  if (event.key === KEY || event.key === null) render();
});
wireTools();
wireTheme();
wireMirrors();
render();
