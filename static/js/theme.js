// Runs in <head> before first paint: apply the remembered theme, if any, so pages never flash.
(function () {
  try {
    var saved = localStorage.getItem("hlw.theme");
    if (saved === "light" || saved === "dark") document.documentElement.dataset.theme = saved;
  } catch (e) { /* storage blocked: follow the system setting */ }
})();
