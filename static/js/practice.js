// Practice questions (templates/_partials/practice.html): the server grades each answer
// and returns the verdict; this script keeps the learner's record (static/js/store.js),
// reorders "put in order" lists, takes self-grades, draws fresh numbers for generated
// questions, and fills the review page with the questions that are due.
import { dueKeys, load, record, when } from "./store.js";

const SELF = { had: "had", partly: "partly", "not-yet": "not-yet" };

function questionOf(el) {
  return el.closest("[data-practice]");
}

function showState(question) {
  const slot = question.querySelector("[data-practice-state]");
  if (!slot) return;
  const rec = load().practice[question.dataset.practice];
  if (!rec) { slot.textContent = ""; return; }
  const mastered = rec.result === "right" || rec.result === "had";
  slot.textContent = `${mastered ? "· you had it right" : "· to practise again"}, next review ${when(rec.due)}`;
  slot.classList.toggle("is-right", mastered);
}

// A verdict arrived: remember the outcome. A right answer after a miss in this visit
// counts for mastery but keeps the question's short review interval.
function onVerdict(verdict) {
  const question = questionOf(verdict);
  if (!question) return;
  const form = question.querySelector("[data-practice-form]");
  const misses = form.querySelector("[data-misses]");
  const before = Number(misses.value);
  misses.value = verdict.dataset.misses;
  const outcome = verdict.dataset.outcome;
  if (question.dataset.kind === "self") return;  // graded by the learner's buttons
  if (outcome === "right") record(question.dataset.practice, before > 0 ? "right-after-miss" : "right");
  else record(question.dataset.practice, outcome);
  afterRecord(question, outcome === "right");
}

function afterRecord(question, done) {
  showState(question);
  if (done && question.closest("#review-list")) {
    question.classList.add("is-done");
    updateReviewStatus();
  }
}

function onSelfGrade(button) {
  const question = questionOf(button);
  const grade = SELF[button.dataset.grade];
  if (!question || !grade) return;
  record(question.dataset.practice, grade);
  button.parentElement.querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
  afterRecord(question, grade !== "not-yet");
}

function moveItem(button) {
  const item = button.closest("li");
  const list = item.parentElement;
  const step = Number(button.dataset.move);
  const sibling = step < 0 ? item.previousElementSibling : item.nextElementSibling;
  if (!sibling) return;
  if (step < 0) list.insertBefore(item, sibling); else list.insertBefore(sibling, item);
  const answer = list.parentElement.querySelector("[data-order-answer]");
  answer.value = [...list.children].map((li) => li.dataset.index).join(",");
  button.focus();
}

function fresh(question, review) {
  const [moduleId, number] = question.dataset.practice.split(":");
  const url = `/practice/${moduleId}/${number}${review ? "?review=1" : ""}`;
  return window.htmx.ajax("GET", url, { target: `#${question.id}`, swap: "outerHTML" });
}

function wire() {
  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const move = target && target.closest("[data-move]");
    if (move && questionOf(move)) { moveItem(move); return; }
    const grade = target && target.closest("[data-grade]");
    if (grade && questionOf(grade)) onSelfGrade(grade);
  });
  document.body.addEventListener("htmx:afterSwap", (event) => {
    const target = event.detail.target;
    const verdict = target && target.querySelector && target.querySelector(":scope > [data-outcome]");
    if (verdict) onVerdict(verdict);
    const question = target && target.matches && target.matches("[data-practice]") ? target
      : document.getElementById(target && target.id);
    if (question && question.matches("[data-practice]")) showState(question);
  });
  document.querySelectorAll("[data-practice]").forEach(showState);
}

// Lesson pages are cached for everyone, so a generated question arrives with the same
// numbers for all: draw fresh ones for this learner.
function freshNumbers() {
  if (document.getElementById("review-list")) return;
  document.querySelectorAll("[data-practice]").forEach((question) => {
    if (question.querySelector("input[name=seed]")) fresh(question, false);
  });
}

function updateReviewStatus() {
  const status = document.getElementById("review-status");
  const list = document.getElementById("review-list");
  const left = list.querySelectorAll("[data-practice]:not(.is-done)").length;
  const total = list.children.length;
  if (!total) {
    const upcoming = Object.values(load().practice).map((r) => r.due).sort()[0];
    status.textContent = upcoming
      ? `Nothing to review right now. The next question is due ${when(upcoming)}.`
      : "Nothing to review yet. Answer practice questions in the lessons; the ones you miss come back here.";
  } else {
    status.textContent = left ? `${left} of ${total} question${total === 1 ? "" : "s"} left to review.`
      : "All done for now. Well done!";
  }
}

async function fillReview() {
  const list = document.getElementById("review-list");
  if (!list) return;
  const index = JSON.parse(document.getElementById("practice-index").textContent);
  const due = dueKeys(load()).filter((key) => {
    const [moduleId, number] = key.split(":");
    return index[moduleId] && Number(number) <= index[moduleId].questions;
  });
  for (const key of due) {
    const li = document.createElement("li");
    li.dataset.practice = key;
    li.id = `pq-${key.replace(":", "-")}`;
    li.textContent = `Loading question ${key.split(":")[1]} of module ${key.split(":")[0]}…`;
    list.append(li);
  }
  updateReviewStatus();
  for (const li of [...list.children]) {
    try { await fresh(li, true); } catch (e) { li.textContent = "This question could not be loaded; reload to try again."; }
  }
  updateReviewStatus();
}

wire();
freshNumbers();
fillReview();
