// Landing pages: citation style picker and copy button. The page works without it (first style shown, text selectable).
document.addEventListener("DOMContentLoaded", () => {
  const select = document.querySelector("[data-citation-style]");
  const texts = document.querySelectorAll("[data-citation]");
  const current = () => Array.from(texts).find((el) => !el.hidden);
  if (select) {
    select.addEventListener("change", () => {
      texts.forEach((el) => { el.hidden = el.dataset.citation !== select.value; });
    });
  }
  const button = document.querySelector("[data-copy-citation]");
  const status = document.querySelector(".copy-status");
  if (button) {
    button.addEventListener("click", async () => {
      const text = current() ? current().textContent.trim() : "";
      try {
        await navigator.clipboard.writeText(text);
      } catch (error) {
        // Clipboard API refused (no secure context): fall back to selecting the text for the user.
        const range = document.createRange();
        range.selectNodeContents(current());
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        document.execCommand("copy");
      }
      button.dataset.copied = text;
      status.textContent = "Citation copied";
      setTimeout(() => { status.textContent = ""; }, 4000);
    });
  }
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      document.querySelectorAll("details.export-menu[open]").forEach((menu) => {
        menu.open = false;
        menu.querySelector("summary").focus();
      });
    }
  });
});
