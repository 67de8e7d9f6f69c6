// Preset pickers: <select data-preset-form="form-id"> whose options carry
// data-values='{"field": value, …}'. Choosing one fills the form's fields and asks
// htmx to recompute; editing a field by hand sets the picker back to "custom".
document.addEventListener("change", (event) => {
  const select = event.target;
  if (!(select instanceof HTMLSelectElement) || !select.dataset.presetForm) return;
  const form = document.getElementById(select.dataset.presetForm);
  const raw = select.selectedOptions[0] && select.selectedOptions[0].dataset.values;
  if (!form || !raw) return;
  const values = JSON.parse(raw);
  for (const [name, value] of Object.entries(values)) {
    const field = form.elements.namedItem(name);
    if (field && "value" in field) {
      field.value = String(value);
      field.dispatchEvent(new Event("input", { bubbles: true }));
    }
  }
  form.dispatchEvent(new Event("change", { bubbles: true }));
});

document.addEventListener("input", (event) => {
  const field = event.target;
  if (!event.isTrusted || !(field instanceof HTMLElement) || !field.form) return;
  field.form.querySelectorAll("select[data-preset-form]").forEach((select) => {
    if (select !== field) select.value = "";
  });
});
