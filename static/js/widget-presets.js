// Preset pickers: <select data-preset-form="form-id">, placed outside that form, whose
// options carry data-values='{"field": value, …}'. Choosing one fills the form's fields
// and fires one "change" on the form so htmx recomputes once; editing a field by hand
// sets the picker back to "custom" (value "").
document.addEventListener("change", (event) => {
  const select = event.target;
  if (!(select instanceof HTMLSelectElement) || !select.dataset.presetForm) return;
  const form = document.getElementById(select.dataset.presetForm);
  const raw = select.selectedOptions[0] && select.selectedOptions[0].dataset.values;
  if (!form || !raw) return;
  const values = JSON.parse(raw);
  for (const [name, value] of Object.entries(values)) {
    const field = form.elements.namedItem(name);
    if (field && "value" in field) field.value = String(value);
  }
  form.dispatchEvent(new Event("change", { bubbles: true }));
});

document.addEventListener("input", (event) => {
  const field = event.target;
  if (!event.isTrusted || !(field instanceof HTMLElement) || !field.form) return;
  document.querySelectorAll(`select[data-preset-form="${CSS.escape(field.form.id)}"]`)
    .forEach((select) => { select.value = ""; });
});
