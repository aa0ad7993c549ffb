// Live filtering of the members directory: the same page, refreshed as you type.
// Without JavaScript the form submits normally.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-live-filter]");
  const results = document.getElementById("directory-results");
  if (!form || !results) return;
  let timer = null;
  let latest = 0;

  const refresh = async () => {
    const params = new URLSearchParams(new FormData(form));
    for (const [key, value] of [...params.entries()]) {
      if (!value || (key === "sort" && value === "name")) params.delete(key, value);
    }
    const query = params.toString();
    const ticket = ++latest;
    const response = await fetch(`${form.action}?${query}${query ? "&" : ""}partial=1`, {
      headers: { Accept: "text/html" },
      credentials: "same-origin",
    });
    if (ticket !== latest || !response.ok) return;
    results.innerHTML = await response.text();
    history.replaceState(null, "", `${form.action}${query ? "?" + query : ""}`);
  };

  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  };
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
});
