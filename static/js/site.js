// Small progressive enhancements; every page works without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-countdown]").forEach((el) => {
    const deadline = Date.parse(el.dataset.countdown);
    if (Number.isNaN(deadline)) return;
    const tick = () => {
      const ms = deadline - Date.now();
      if (ms <= 0) { el.textContent = el.dataset.expired || ""; return; }
      const d = Math.floor(ms / 86400000), h = Math.floor(ms / 3600000) % 24, m = Math.floor(ms / 60000) % 60;
      el.textContent = (el.dataset.format || "%d d %h h %m min").replace("%d", d).replace("%h", h).replace("%m", m);
    };
    tick();
    setInterval(tick, 30000);
  });
  // The language switch applies on change; without JavaScript its button submits the form.
  document.querySelectorAll("form[data-submit-on-change]").forEach((form) => {
    form.querySelectorAll("[data-hide-with-js]").forEach((button) => { button.hidden = true; });
    form.addEventListener("change", () => form.requestSubmit());
  });
  // The header menu on a phone: <details> needs no script; mirror its state for assistive tech.
  document.querySelectorAll("details.nav-menu").forEach((menu) => {
    const button = menu.querySelector("summary");
    const sync = () => button.setAttribute("aria-expanded", String(menu.open));
    menu.addEventListener("toggle", sync);
    sync();
  });
  // Links that open a confirmation page open the same question in a dialog instead.
  document.querySelectorAll("a[data-open-dialog]").forEach((link) => {
    const dialog = document.getElementById(link.dataset.openDialog);
    if (!dialog || typeof dialog.showModal !== "function") return;
    link.setAttribute("aria-haspopup", "dialog");
    link.addEventListener("click", (event) => {
      event.preventDefault();
      dialog.showModal();
    });
    dialog.querySelectorAll("[data-close-dialog]").forEach((button) => {
      button.addEventListener("click", () => dialog.close());
    });
  });
  document.querySelectorAll("input[type=file][data-preview]").forEach((input) => {
    const target = document.getElementById(input.dataset.preview);
    if (!target) return;
    input.addEventListener("change", () => {
      target.replaceChildren();
      Array.from(input.files).slice(0, 5).forEach((file) => {
        const img = document.createElement("img");
        img.alt = file.name;
        img.className = "thumb";
        img.src = URL.createObjectURL(file);
        target.appendChild(img);
      });
    });
  });
});
