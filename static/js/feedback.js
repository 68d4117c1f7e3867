// Feedback pages: a live character count under review texts. Everything works without it.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("textarea[maxlength]").forEach((area) => {
    const counter = document.createElement("p");
    counter.className = "muted char-count";
    counter.setAttribute("aria-live", "polite");
    const template = area.closest("form")?.dataset.countFormat || "%n / %max";
    const update = () => {
      counter.textContent = template.replace("%n", area.value.length).replace("%max", area.maxLength);
    };
    area.insertAdjacentElement("afterend", counter);
    area.addEventListener("input", update);
    update();
  });
});
