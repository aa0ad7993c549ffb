// The request form of a service: as the member writes the subject, the published answers
// of the support team that match its words appear under the form (the search index, kind
// "faq"). Without JavaScript the "Check the FAQ first" button does the same on the server.
// The send button is disabled once clicked; the form's client id makes a second send
// harmless anyway.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-faq-search]");
  if (!form) return;
  const subject = form.querySelector("#subject");
  const region = form.querySelector("[data-faq-matches]");
  let timer = null;
  let latest = 0;

  const show = (results) => {
    region.replaceChildren();
    if (!results.length) return;
    const title = document.createElement("h2");
    title.textContent = region.dataset.title || document.documentElement.lang === "en"
      ? "Answers that may help"
      : "Des réponses qui peuvent aider";
    const list = document.createElement("ul");
    for (const hit of results.slice(0, 5)) {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = hit.url;
      link.target = "_blank";
      link.textContent = hit.title;
      item.append(link);
      list.append(item);
    }
    region.append(title, list);
  };

  const refresh = async () => {
    const q = subject.value.trim();
    const ticket = ++latest;
    if (q.length < 4) return;
    try {
      const url = `${form.dataset.faqSearch}?kind=faq&q=${encodeURIComponent(q)}`;
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (!response.ok || ticket !== latest) return;
      const body = await response.json();
      show(body.results || []);
    } catch {
      // the "check the FAQ" button still works
    }
  };

  subject?.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 350);
  });

  form.addEventListener("submit", (event) => {
    const button = event.submitter;
    if (button && button.hasAttribute("data-once")) {
      if (form.dataset.sending) {
        event.preventDefault();
        return;
      }
      form.dataset.sending = "1";
      setTimeout(() => button.setAttribute("disabled", ""), 0);
    }
  });
});
