// The header's unread count follows the inbox while a page stays open: it
// asks /api/inbox/unread every 30 s and when the tab comes back to view.
(() => {
  const el = document.getElementById("inbox-unread");
  if (!el) return;
  const tick = () => fetch("/api/inbox/unread", {headers: {Accept: "application/json"}, credentials: "same-origin"})
    .then(r => (r.ok ? r.json() : null))
    .then(b => { if (b && typeof b.unread === "number") { el.textContent = b.unread; el.dataset.unread = b.unread; } })
    .catch(() => {});
  setInterval(tick, 30000);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) tick(); });
})();
