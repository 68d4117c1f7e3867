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
