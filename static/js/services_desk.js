// The request form of a service: as the member writes the subject and the details, the
// published answers of the support team that match them appear under the form (the search
// index, kind "faq"): first those matching the whole subject, then those matching the most
// of the details' longer words (each asked alone: the search wants every word of a query).
// Without JavaScript the "Check the FAQ first" button does the same on the server.
// The send button is disabled once clicked; the form's client id makes a second send
// harmless anyway.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-faq-search]");
  if (!form) return;
  const subject = form.querySelector("#subject");
  const details = form.querySelector("#body");
  const region = form.querySelector("[data-faq-matches]");
  const DETAIL_WORDS = 5;
  let timer = null;
  let latest = 0;

  const show = (results) => {
    region.replaceChildren();
    if (!results.length) return;
    const title = document.createElement("h2");
    title.textContent =
      region.dataset.title ||
      (document.documentElement.lang === "en"
        ? "Answers that may help"
        : "Des réponses qui peuvent aider");
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

  // The details' distinct words of 5 letters or more not already in the subject, in order.
  const detailWords = (text, taken) => {
    const seen = new Set(taken);
    const words = [];
    for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) || []) {
      if (word.length < 5 || seen.has(word)) continue;
      seen.add(word);
      words.push(word);
      if (words.length === DETAIL_WORDS) break;
    }
    return words;
  };

  const ask = async (q) => {
    try {
      const url = `${form.dataset.faqSearch}?kind=faq&q=${encodeURIComponent(q)}`;
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (!response.ok) return [];
      return (await response.json()).results || [];
    } catch {
      return []; // the "check the FAQ" button still works
    }
  };

  const refresh = async () => {
    const q = subject ? subject.value.trim() : "";
    const ticket = ++latest;
    const subjectWords = q.toLowerCase().match(/[\p{L}\p{N}]+/gu) || [];
    // a trailing space: each detail word is a whole word, not the start of one
    const queries = detailWords(details ? details.value : "", subjectWords).map((w) => `${w} `);
    if (q.length >= 4) queries.unshift(q);
    if (!queries.length) return;
    const answers = [];
    for (const query of queries) {
      // one after the other: a few small requests, dropped as soon as the member types on
      answers.push(await ask(query));
      if (ticket !== latest) return;
    }
    const scored = new Map();
    answers.forEach((results, index) => {
      const weight = index === 0 && q.length >= 4 ? 100 : 1; // the whole subject first
      for (const hit of results) {
        const known = scored.get(hit.url);
        if (known) known.score += weight;
        else scored.set(hit.url, { hit, score: weight, order: scored.size });
      }
    });
    const ranked = [...scored.values()].sort((a, b) => b.score - a.score || a.order - b.order);
    show(ranked.map((entry) => entry.hit));
  };

  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 350);
  };
  subject?.addEventListener("input", later);
  details?.addEventListener("input", later);

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
