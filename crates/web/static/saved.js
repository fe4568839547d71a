// After saving from the bookmarklet's popup, close the popup (the page says so if it cannot).
(function () {
  "use strict";
  var saved = document.getElementById("saved");
  if (saved && saved.getAttribute("data-close") === "1") {
    window.setTimeout(function () { window.close(); }, 300);
  }
})();
