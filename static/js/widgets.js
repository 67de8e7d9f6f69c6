// Widgets in the browser (templates/_partials/shell.html): modes, state in the URL,
// "Copy link", set-up buttons, errors in the widget's own slot, one retry when busy.
// Requests themselves are htmx's: input events debounced 250 ms, newer replaces older.

const FORM = "form[data-widget-form]";
// After a button inside a result sets a field, keyboard focus goes back to the first button
// of the same kind in the new result (e.g. the first of the new candidates).
let refocus = null;

function widgetOf(el) { return el && el.closest(".widget"); }
function formOf(widget) { return widget && widget.querySelector(FORM); }

// The widget's state as a query string: enabled fields only, the last value of a name
// wins (a checkbox sends a hidden "false" then "true" when ticked).
function stateQuery(form) {
  const vectors = new Set([...form.querySelectorAll("[data-vector]")].map((el) => el.name));
  // A single checkbox sends a hidden "false" then "true": the last value wins. A group of
  // checkboxes sharing a name (a list parameter) sends each ticked value.
  const single = new Set([...form.querySelectorAll('input[type=hidden][value="false"]')].map((el) => el.name));
  const values = new Map();
  for (const [name, value] of new FormData(form)) {
    if (vectors.has(name) && values.has(name)) values.set(name, [`${values.get(name)[0]},${value}`]);
    else if (!single.has(name) && values.has(name)) values.get(name).push(value);
    else values.set(name, [value]);
  }
  const pairs = [];
  for (const [name, list] of values) for (const v of list) pairs.push([name, v]);
  return new URLSearchParams(pairs).toString();
}

// Show only the controls of the active mode; hidden controls are disabled so that
// they are neither sent nor put in the URL.
function applyModes(form) {
  const data = new FormData(form);
  const value = (name) => {
    const el = form.elements.namedItem(name);
    if (el instanceof RadioNodeList) {
      // A checkbox shares its name with a hidden "false": its state is whether it is ticked.
      const box = [...el].find((e) => e.type === "checkbox" && e.value === "true");
      return box ? String(box.checked) : el.value;
    }
    if (el instanceof HTMLInputElement && el.type === "checkbox") return String(el.checked);
    return el ? el.value : data.get(name);
  };
  form.querySelectorAll("[data-show-when]").forEach((box) => {
    const rule = JSON.parse(box.dataset.showWhen);
    const on = Object.entries(rule).every(([name, allowed]) => allowed.map(String).includes(value(name)));
    box.hidden = !on;
    box.querySelectorAll("input, select, textarea").forEach((el) => { el.disabled = !on; });
  });
}

function updateLinks(widget) {
  const form = formOf(widget);
  if (!form) return;
  const query = stateQuery(form);
  const name = widget.dataset.widget;
  const full = widget.querySelector("[data-full-link]");
  if (full) full.href = `/playground/${name}?${query}`;
  document.querySelectorAll(`.page-playground [data-embed-link]`).forEach((a) => { a.href = `/embed/${name}?${query}`; });
  document.querySelectorAll(`.page-playground [data-api-link]`).forEach((a) => { a.href = `/api/widgets/${name}?${query}`; });
  if (widget.classList.contains("widget-standalone") && document.body.classList.contains("page-playground")) {
    history.replaceState(history.state, "", `${location.pathname}?${query}`);
  }
}

function showError(widget, message) {
  const slot = widget.querySelector(".widget-error");
  const result = widget.querySelector(".widget-result");
  if (!slot) return;
  if (message) slot.textContent = message;
  slot.hidden = false;
  if (result) result.classList.add("is-stale");
}

function clearError(widget) {
  const slot = widget.querySelector(".widget-error");
  if (slot) { slot.hidden = true; slot.textContent = ""; }
  const result = widget.querySelector(".widget-result");
  if (result) result.classList.remove("is-stale");
}

// One input: its value, and the <output data-mirror> readout that shows it.
function setInput(el, value) {
  el.value = value;
  document.querySelectorAll(`output[data-mirror="${CSS.escape(el.id)}"]`).forEach((out) => { out.textContent = value; });
}

function setField(form, name, value) {
  const field = form.elements.namedItem(name);
  if (!field) return;
  if (field instanceof RadioNodeList && field[0] && field[0].hasAttribute("data-vector")) {
    const parts = value.split(",");
    [...field].forEach((el, i) => { if (i < parts.length) setInput(el, parts[i].trim()); });
    return;
  }
  if (field instanceof RadioNodeList) {
    const parts = value.split(",");
    for (const el of field) {
      if (el.type === "checkbox" && el.value !== "true") el.checked = parts.includes(el.value);
      else if (el.type === "checkbox") el.checked = value === "true";
      else if (el.type === "radio") el.checked = el.value === value;
      else if (el.type !== "hidden") el.value = value;
    }
    return;
  }
  if (field.type === "checkbox") field.checked = value === "true";
  else setInput(field, value);
}

// A set-up link: load its parameters into the widget beside it and move focus there.
function setUp(link) {
  const widget = document.getElementById(link.dataset.setupFor);
  const form = formOf(widget);
  if (!form) return false;
  const values = JSON.parse(link.dataset.setup || "{}");
  for (const [name, value] of Object.entries(values)) setField(form, name, String(value));
  applyModes(form);
  const picker = widget.querySelector("[data-preset-form]");
  if (picker) picker.value = "";
  htmx.trigger(form, "setup");
  widget.scrollIntoView({ behavior: matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth", block: "start" });
  widget.focus({ preventScroll: true });
  return true;
}

function wire() {
  document.querySelectorAll("[data-copy-link]").forEach((button) => { button.hidden = false; });
  document.querySelectorAll(FORM).forEach(applyModes);

  document.addEventListener("click", async (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const setup = target && target.closest("a.setup-link[data-setup-for]");
    if (setup && !event.metaKey && !event.ctrlKey && !event.shiftKey) {
      if (setUp(setup)) event.preventDefault();
      return;
    }
    // A button inside a result that sets one field (a heatmap row, a head): set, recompute.
    const setter = target && target.closest("[data-set-field]");
    if (setter) {
      const form = formOf(widgetOf(setter));
      if (form) {
        setField(form, setter.dataset.setField, setter.dataset.value);
        applyModes(form);
        refocus = { widget: widgetOf(setter).id, cls: setter.classList[0] };
        htmx.trigger(form, "setup");
      }
      return;
    }
    const copy = target && target.closest("[data-copy-link]");
    if (copy) {
      const widget = widgetOf(copy);
      const url = new URL(`/playground/${widget.dataset.widget}?${stateQuery(formOf(widget))}`, location.href).href;
      try {
        await navigator.clipboard.writeText(url);
        copy.textContent = "Link copied";
      } catch (e) {
        copy.textContent = "Copy failed: use “Open full screen”";
      }
      copy.dataset.copied = url;
      setTimeout(() => { copy.textContent = "Copy link"; }, 2500);
    }
  });

  document.addEventListener("change", (event) => {
    const select = event.target;
    if (select instanceof HTMLSelectElement && select.dataset.presetForm) {
      const form = document.getElementById(select.dataset.presetForm);
      const raw = select.selectedOptions[0] && select.selectedOptions[0].dataset.values;
      if (!form || !raw) return;
      for (const [name, value] of Object.entries(JSON.parse(raw))) setField(form, name, String(value));
      applyModes(form);
      htmx.trigger(form, "setup");
      return;
    }
    if (select instanceof Element && select.closest(FORM)) applyModes(select.closest(FORM));
  });

  document.addEventListener("input", (event) => {
    const field = event.target;
    const form = field instanceof Element && field.closest(FORM);
    if (!form) return;
    applyModes(form);
    if (field.hasAttribute("data-vector")) {
      const parts = [...form.querySelectorAll(`[data-vector][name="${CSS.escape(field.name)}"]`)].map((el) => el.value);
      form.querySelectorAll(`[data-vector-readout]`).forEach((out) => {
        if (out.dataset.vectorReadout.endsWith(`-${field.name}`)) out.textContent = `[${parts.join(", ")}]`;
      });
    }
    if (event.isTrusted) {
      document.querySelectorAll(`select[data-preset-form="${CSS.escape(form.id)}"]`).forEach((s) => { s.value = ""; });
    }
  });

  document.body.addEventListener("htmx:afterSwap", (event) => {
    const el = event.detail.target;
    const widget = widgetOf(el);
    if (!widget) return;
    if (el.classList.contains("widget-result")) {
      clearError(widget);
      updateLinks(widget);
      if (refocus && refocus.widget === widget.id) {
        const again = refocus.cls && el.querySelector(`[data-set-field].${CSS.escape(refocus.cls)}`);
        refocus = null;
        if (again) again.focus();
      }
    } else if (el.classList.contains("widget-error")) {
      showError(widget, null);
    }
  });

  // A busy model answers 503 with Retry-After: try once more by itself.
  document.body.addEventListener("htmx:afterRequest", (event) => {
    const xhr = event.detail.xhr;
    const form = event.detail.elt instanceof Element && event.detail.elt.closest(FORM);
    if (!form || !xhr || xhr.status !== 503 || form.dataset.retried === "1") {
      if (form && xhr && xhr.status === 200) form.dataset.retried = "0";
      return;
    }
    form.dataset.retried = "1";
    const wait = Math.min(Number(xhr.getResponseHeader("Retry-After")) || 1, 10);
    setTimeout(() => htmx.trigger(form, "setup"), wait * 1000);
  });

  // A number the browser rejects (out of range, not a number): say why, keep no stale result.
  document.body.addEventListener("htmx:validation:failed", (event) => {
    const field = event.detail.elt;
    const widget = widgetOf(field);
    if (!widget) return;
    const label = field.labels && field.labels[0] ? field.labels[0].childNodes[0].textContent.trim() : field.name;
    showError(widget, `${label}: ${event.detail.message}`);
  });
  document.body.addEventListener("htmx:sendError", (event) => {
    const widget = widgetOf(event.detail.elt);
    if (widget) showError(widget, "The server could not be reached. Check your connection and try again.");
  });
}

wire();
