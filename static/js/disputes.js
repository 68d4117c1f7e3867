// Dispute forms: show the amount only for a partial refund, ask before final actions.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-dispute-form]").forEach((form) => {
    const amount = form.querySelector("[data-amount-field]");
    const detail = form.querySelector("[data-detail-field]");
    const sync = () => {
      const kind = form.querySelector("[name=kind], [name=requested_outcome]:checked, select[name=requested_outcome]");
      if (amount) amount.hidden = !(kind && kind.value === "partial_refund") && !amount.querySelector(".errorlist");
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
});
