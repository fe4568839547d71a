// Tag autocomplete for the save form: suggests the user's own tags for the word being typed.
// Tab or Enter takes the first suggestion; a click takes any of them.
(function () {
  "use strict";
  var input = document.getElementById("tags");
  var list = document.getElementById("tag-suggestions");
  var data = document.getElementById("user-tags");
  if (!input || !list || !data) { return; }
  var tags = [];
  try { tags = JSON.parse(data.textContent) || []; } catch (e) { tags = []; }

  function words() { return input.value.toLowerCase().split(/[\s,]+/); }
  function clear() { while (list.firstChild) { list.removeChild(list.firstChild); } }
  function complete(tag) {
    input.value = input.value.replace(/[^\s,]*$/, tag) + " ";
    clear();
    input.focus();
  }
  function render() {
    clear();
    var all = words();
    var word = all[all.length - 1];
    if (!word) { return; }
    tags.filter(function (t) { return t.indexOf(word) === 0 && t !== word && all.indexOf(t) < 0; })
      .slice(0, 8)
      .forEach(function (t) {
        var item = document.createElement("li");
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = t;
        button.addEventListener("click", function () { complete(t); });
        item.appendChild(button);
        list.appendChild(item);
      });
  }
  input.addEventListener("input", render);
  input.addEventListener("keydown", function (event) {
    if ((event.key === "Tab" || event.key === "Enter") && list.firstChild) {
      event.preventDefault();
      complete(list.firstChild.textContent);
    }
  });
})();
