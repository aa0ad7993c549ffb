// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  // On a phone, a menu button shows and hides the header's navigation (shown without JS).
  const menu = document.querySelector(".menu-button");
  if (menu) {
    const header = menu.closest(".site-header");
    const setOpen = (open) => {
      menu.setAttribute("aria-expanded", String(open));
      header.classList.toggle("menu-open", open);
    };
    header.classList.add("has-menu");
    menu.hidden = false;
    setOpen(false);
    menu.addEventListener("click", () => setOpen(menu.getAttribute("aria-expanded") !== "true"));
    header.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && header.classList.contains("menu-open")) {
        setOpen(false);
        menu.focus();
      }
    });
  }

  // Preview a chosen avatar before the form is sent.
  const input = document.getElementById("avatar");
  if (input) {
    input.addEventListener("change", () => {
      const file = input.files && input.files[0];
      if (!file || !file.type.startsWith("image/")) return;
      let preview = document.getElementById("avatar-preview");
      if (!preview) {
        preview = document.createElement("img");
        preview.id = "avatar-preview";
        preview.className = "avatar";
        preview.alt = "";
        input.insertAdjacentElement("afterend", preview);
      }
      preview.src = URL.createObjectURL(file);
    });
  }
});
