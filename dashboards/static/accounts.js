// Account pages: copy a token just created, and on the account form show
// only the scope field of the chosen role (the server ignores the other).
(function () {
  "use strict";
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.addEventListener("click", async () => {
      const input = document.getElementById(button.dataset.copy);
      input.focus();
      input.select();
      let copied = false;
      try {
        await navigator.clipboard.writeText(input.value);
        copied = true;
      } catch (e) {
        // No clipboard API outside a secure context (plain http on a LAN).
        copied = document.execCommand && document.execCommand("copy");
      }
      const t = window.econdipI18n.t;
      button.textContent = copied ? t("js.account.copied") : t("js.account.selected");
    });
  }
  const role = document.querySelector("#user-form select[name=role]");
  if (role) {
    const show = () => {
      for (const el of document.querySelectorAll("#user-form [data-scope]")) el.hidden = el.dataset.scope !== role.value;
    };
    role.addEventListener("change", show);
    show();
  }
})();
