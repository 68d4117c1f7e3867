// Dispute pages and panels: the amount only for a partial refund, a question before final
// actions, and deadline sentences that tick by the minute once less than a day is left.
(() => {
  if (window.opiniaDisputes) return; // panels and pages may both load this file
  window.opiniaDisputes = true;
  const DAY = 86400000;
  const start = () => {
    document.querySelectorAll("form[data-dispute-form]").forEach((form) => {
      const amount = form.querySelector("[data-amount-field]");
      const detail = form.querySelector("[data-detail-field]");
      const replacement = form.querySelector("[data-replacement-fields]");
      const sync = () => {
        const kind = form.querySelector("[name=kind], [name=requested_outcome]:checked, select[name=requested_outcome]");
        if (amount) amount.hidden = !(kind && kind.value === "partial_refund") && !amount.querySelector(".errorlist");
        if (replacement) replacement.hidden = !(kind && kind.value === "replacement") && !replacement.querySelector(".errorlist");
        const reason = form.querySelector("[name=reason]");
        if (detail && reason) detail.hidden = reason.value !== "not_as_described";
      };
      form.addEventListener("change", sync);
      sync();
    });
    document.querySelectorAll("[data-confirm]").forEach((button) => {
      button.addEventListener("click", (event) => {
        if (!window.confirm(button.dataset.confirm)) event.preventDefault();
      });
    });
    document.querySelectorAll("[data-clock]").forEach((el) => {
      const deadline = Date.parse(el.dataset.clock);
      if (Number.isNaN(deadline)) return;
      const tick = () => {
        const ms = deadline - Date.now();
        if (ms <= 0) {
          el.textContent = el.dataset.expired || "";
          return;
        }
        if (ms >= DAY) return; // the server's words ("3 days 4 hours") stay right for hours
        const h = Math.floor(ms / 3600000), m = Math.floor(ms / 60000) % 60;
        const left = (el.dataset.format || "%h h %m min").replace("%h", h).replace("%m", m);
        el.textContent = (el.dataset.clockSentence || "{left}").replace("{left}", left);
      };
      tick();
      setInterval(tick, 30000);
    });
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
