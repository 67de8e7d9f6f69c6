// Next-token widget: choosing a candidate appends its text to the prompt, then htmx asks
// the model again (the form listens for "input"), so a sentence grows one token at a time.
let refocus = null;

document.addEventListener("click", (event) => {
  const button = event.target instanceof Element && event.target.closest("[data-append]");
  if (!button) return;
  const widget = button.closest(".widget");
  const input = widget && widget.querySelector("input[name=prompt]");
  if (!input) return;
  input.value += button.dataset.append;
  refocus = widget.id;
  input.dispatchEvent(new Event("input", { bubbles: true }));
});

// Keep keyboard users in place: after the new candidates arrive, focus the first one.
document.addEventListener("htmx:afterSwap", (event) => {
  const widget = event.target instanceof Element && event.target.closest(".widget");
  if (!widget || widget.id !== refocus) return;
  refocus = null;
  const first = widget.querySelector("[data-append]");
  if (first) first.focus();
});
