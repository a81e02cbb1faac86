// The integrations pages: a confirmation before destructive forms, and live run progress.

// A form with data-confirm asks first (an attribute, since the CSP forbids inline handlers).
document.addEventListener("submit", (event) => {
  const question = event.target.dataset?.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});

// Polls each run's small JSON document every second while it is active and updates the counts.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-progress-url]").forEach((box) => {
    const tick = async () => {
      let data;
      try {
        const response = await fetch(box.dataset.progressUrl, {headers: {Accept: "application/json"}});
        if (!response.ok) return;
        data = await response.json();
      } catch (e) { setTimeout(tick, 2000); return; }
      for (const [key, value] of Object.entries(data)) {
        box.querySelectorAll(`[data-field="${key}"]`).forEach((el) => { el.textContent = value ?? ""; });
      }
      box.querySelectorAll("[data-field=status_label]").forEach((el) => { el.className = `run-status run-${data.status}`; });
      box.dataset.status = data.status;
      if (data.active) setTimeout(tick, 1000);
    };
    if (box.dataset.active === "true") setTimeout(tick, 1000);
  });
});
