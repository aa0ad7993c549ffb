// The feed's live banner: "3 new items" when others post, without reloading the page.
(function () {
  "use strict";
  const root = document.getElementById("feed");
  const socket = window.terreauSocket;
  if (!root || !socket || root.dataset.live !== "1") return;
  const banner = root.querySelector(".feed-banner");
  const button = banner.querySelector("button");
  let fresh = 0;
  const me = Number(root.dataset.me);
  socket.on("feed_item", (item) => {
    if (item.actor && item.actor.id === me) return; // your own post: you know about it
    fresh += 1;
    button.textContent =
      fresh === 1 ? root.dataset.textNewOne : root.dataset.textNewMany.replace("{count}", String(fresh));
    banner.hidden = false;
  });
  button.addEventListener("click", () => window.location.reload());
})();
