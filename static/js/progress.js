// Progress, mastery and the review schedule live in this browser (static/js/store.js);
// this script draws them on the course map and lesson headers and runs export/import.
import { KEY, dueKeys, load, migrate, onlyKnown, rightCount, save } from "./store.js";

const THEME_KEY = "hlw.theme";

function setComplete(id, done) {
  const data = load();
  if (done) data.completed[id] = new Date().toISOString();
  else delete data.completed[id];
  save(data);
}

function render() {
  const data = load();
  const done = data.completed;
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
  document.querySelectorAll("[data-module] [data-mastery]").forEach((el) => {
    const questions = Number(el.dataset.questions);
    const right = rightCount(data, el.closest("[data-module]").dataset.module, questions);
    const mastered = questions > 0 && right === questions;
    el.textContent = mastered ? "Mastered ✓" : `${right} of ${questions} questions right`;
    el.classList.toggle("is-mastered", mastered);
  });
  renderSummary(done);
  renderReviewCount(data);
}

function renderReviewCount(data) {
  const link = document.getElementById("review-link");
  if (!link) return;
  const known = new Set([...document.querySelectorAll(".card[data-module]")].map((c) => c.dataset.module));
  const due = dueKeys(data).filter((key) => known.has(key.split(":")[0])).length;
  link.textContent = due === 1 ? "1 question to review" : `${due} questions to review`;
  link.classList.toggle("has-due", due > 0);
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
    const blob = new Blob([JSON.stringify(load(), null, 2)], { type: "application/json" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = "how-llms-work-progress.json";
    a.click();
    URL.revokeObjectURL(a.href);
    say("Progress exported: completed modules, practice results and review schedule.");
  });
  const importInput = document.getElementById("progress-import");
  if (importInput) importInput.addEventListener("change", async () => {
    const file = importInput.files[0];
    importInput.value = "";
    if (!file) return;
    let incoming;
    try {
      if (file.size > 1_000_000) throw new Error("it is larger than any progress file");
      incoming = migrate(JSON.parse(await file.text()));
    } catch (e) {
      const why = e instanceof SyntaxError ? "it is not JSON" : e.message;
      say(`That file cannot be imported: ${why}. Nothing was changed.`);
      return;
    }
    const known = new Set([...document.querySelectorAll(".card[data-module]")].map((c) => c.dataset.module));
    const [kept, dropped] = onlyKnown(incoming, known);
    const modules = Object.keys(kept.completed).length;
    const answers = Object.keys(kept.practice).length;
    const note = dropped ? ` (${dropped} entr${dropped === 1 ? "y" : "ies"} for modules this course does not have will be left out)` : "";
    confirmReplace(`This file has ${modules} completed module(s) and ${answers} practice result(s)${note}. Replace the progress in this browser with it?`,
      () => {
        save(kept);
        say(`Imported: ${modules} module(s) complete, ${answers} practice result(s).`);
      });
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
    save({ version: 2, completed: {}, practice: {} });
    say("Progress reset.");
  });
}

// Ask before an import replaces anything: two buttons in the message area.
function confirmReplace(question, onYes) {
  const box = document.getElementById("progress-message");
  if (!box) return;
  box.textContent = "";
  const text = document.createElement("p");
  text.textContent = question;
  const yes = document.createElement("button");
  yes.type = "button";
  yes.className = "button primary";
  yes.id = "import-confirm";
  yes.textContent = "Replace my progress";
  const no = document.createElement("button");
  no.type = "button";
  no.className = "button";
  no.id = "import-cancel";
  no.textContent = "Keep what I have";
  yes.addEventListener("click", onYes);
  no.addEventListener("click", () => say("Import cancelled; nothing was changed."));
  box.append(text, yes, " ", no);
  yes.focus();
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
window.addEventListener("hlw:progress", render);
wireTools();
wireTheme();
wireMirrors();
render();
