// Suggestions as you type in the header's search field (the ARIA combobox pattern): the
// best hits appear in a listbox; arrows move, Enter opens, Escape closes. Without
// JavaScript the field submits to the search page.
document.addEventListener("DOMContentLoaded", () => {
  const input = document.getElementById("header-q");
  const list = document.getElementById("header-suggestions");
  if (!input || !list || !input.dataset.suggest) return;
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-expanded", "false");
  let timer = null;
  let latest = 0;
  let active = -1;

  const options = () => [...list.querySelectorAll('[role="option"]')];

  const close = () => {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  };

  const highlight = (index) => {
    const all = options();
    if (!all.length) return;
    active = (index + all.length) % all.length;
    all.forEach((option, i) => option.setAttribute("aria-selected", String(i === active)));
    input.setAttribute("aria-activedescendant", all[active].id);
    all[active].scrollIntoView({ block: "nearest" });
  };

  const refresh = async () => {
    const q = input.value.trim();
    const ticket = ++latest;
    if (q.length < 2) {
      close();
      return;
    }
    let response;
    try {
      response = await fetch(`${input.dataset.suggest}?${new URLSearchParams({ q })}`, {
        headers: { Accept: "text/html" },
        credentials: "same-origin",
      });
    } catch {
      return; // offline: the form still submits
    }
    if (ticket !== latest) return;
    list.innerHTML = await response.text(); // rendered and escaped by the server
    active = -1;
    input.removeAttribute("aria-activedescendant");
    const shown = list.children.length > 0;
    list.hidden = !shown;
    input.setAttribute("aria-expanded", String(shown));
  };

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 200);
  });

  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (list.hidden) return;
      event.preventDefault();
      highlight(active + (event.key === "ArrowDown" ? 1 : -1));
    } else if (event.key === "Escape") {
      if (!list.hidden) {
        event.preventDefault();
        close();
      }
    } else if (event.key === "Enter" && !list.hidden && active >= 0) {
      event.preventDefault();
      window.location.assign(options()[active].dataset.url);
    }
  });

  list.addEventListener("mousedown", (event) => event.preventDefault()); // keep the focus
  list.addEventListener("click", (event) => {
    const option = event.target.closest('[role="option"]');
    if (option) window.location.assign(option.dataset.url);
  });
  input.addEventListener("blur", close);
});
