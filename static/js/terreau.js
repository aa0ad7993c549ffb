// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
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
