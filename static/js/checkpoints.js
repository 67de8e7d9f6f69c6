// Predict, then reveal (templates/_partials/checkpoint.html). The answer was computed on
// the server by the widget's code; the learner's guesses stay in this browser, under a
// sibling key of the progress: {"version": 1, "answers": {"12:cp-x": {...}}}.
const KEY = "hlw.checkpoints.v1";

function loadAnswers() {
  try {
    const data = JSON.parse(localStorage.getItem(KEY));
    if (data && data.version === 1 && data.answers && typeof data.answers === "object") return data;
  } catch (e) { /* corrupt or blocked storage */ }
  return { version: 1, answers: {} };
}

function save(key, answer) {
  const data = loadAnswers();
  data.answers[key] = answer;
  try { localStorage.setItem(KEY, JSON.stringify(data)); } catch (e) { /* not remembered */ }
}

function judge(box, form) {
  if (box.dataset.kind === "choice") {
    const picked = form.querySelector("input[type=radio]:checked");
    if (!picked) return null;
    return { choice: Number(picked.value), correct: Number(picked.value) === Number(box.dataset.correct) };
  }
  const input = form.querySelector("input[name=guess]");
  const guess = Number(input.value);
  if (input.value.trim() === "" || !Number.isFinite(guess)) return null;
  const answer = Number(box.dataset.answer);
  const tolerance = Number(box.dataset.tolerance) || 0;
  return { guess, correct: Math.abs(guess - answer) <= tolerance + 1e-12 };
}

function show(box, result, earlier) {
  const slot = box.querySelector("[data-feedback-slot]");
  const form = box.querySelector("[data-checkpoint-form]");
  box.querySelectorAll("[data-feedback-for]").forEach((el) => { el.hidden = true; });
  box.querySelectorAll(".choice").forEach((label) => label.classList.remove("is-right", "is-wrong"));
  if (box.dataset.kind === "choice") {
    const radios = form.querySelectorAll("input[type=radio]");
    radios.forEach((r) => { r.checked = Number(r.value) === result.choice; });
    const right = form.querySelector(`input[value="${box.dataset.correct}"]`);
    if (right) right.closest(".choice").classList.add("is-right");
    if (!result.correct) {
      const picked = form.querySelector(`input[value="${result.choice}"]`);
      if (picked) picked.closest(".choice").classList.add("is-wrong");
      const why = box.querySelector(`[data-feedback-for="${result.choice}"]`);
      if (why) why.hidden = false;
    }
  } else {
    form.querySelector("input[name=guess]").value = String(result.guess);
  }
  const prefix = earlier ? "Your earlier prediction: " : "";
  slot.textContent = `${prefix}${result.correct ? "Right." : "Not quite."} ${result.correct ? "Here is the computed answer." : "Compare with the computed answer below."}`;
  slot.className = `checkpoint-feedback ${result.correct ? "is-right" : "is-wrong"}`;
  box.querySelector("[data-reveal]").open = true;
}

function wire() {
  const answers = loadAnswers().answers;
  document.querySelectorAll(".checkpoint[data-checkpoint]").forEach((box) => {
    const form = box.querySelector("[data-checkpoint-form]");
    if (!form) return;
    const earlier = answers[box.dataset.checkpoint];
    if (earlier) show(box, earlier, true);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const result = judge(box, form);
      if (!result) {
        box.querySelector("[data-feedback-slot]").textContent =
          box.dataset.kind === "choice" ? "Pick one answer first." : "Type a number first.";
        return;
      }
      save(box.dataset.checkpoint, { ...result, at: new Date().toISOString() });
      show(box, result, false);
    });
  });
}

wire();
