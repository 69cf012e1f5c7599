// The phone's menu: behind one button, so a page starts with its own content.
(function () {
  var button = document.querySelector("[data-menu]");
  if (!button) return;
  var menu = document.getElementById(button.getAttribute("aria-controls"));
  document.documentElement.classList.add("has-menu-button");
  button.addEventListener("click", function () {
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    menu.classList.toggle("open", open);
  });
})();
