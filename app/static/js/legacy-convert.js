/* "Chuyển mã": a small button after each text field marked data-legacy-convert, which turns
   text typed in the old TCVN3 (ABC) or VNI fonts into Unicode, through POST /text/convert.
   When the text reads about as well in several encodings, the answer lists them ("choices"):
   the field is left as it is and each reading is shown with a button to use it.
   The button's label and messages come from the field's data attributes (translated).
   Loaded on every page by eoffice_base.html. */
(function () {
  "use strict";
  var token = document.querySelector('meta[name="csrf-token"]');
  function add(field) {
    if (field.hasAttribute("data-legacy-convert-ready")) { return; }  // script included twice
    field.setAttribute("data-legacy-convert-ready", "");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-default btn-xs legacy-convert";
    button.textContent = field.getAttribute("data-legacy-convert") || "Chuyển mã";
    button.title = field.getAttribute("data-legacy-convert-title") || "";
    var note = document.createElement("small");
    note.className = "text-muted legacy-convert-note";
    var chooser = document.createElement("div");
    chooser.className = "legacy-convert-choices hidden";
    function choose(choices) {
      chooser.textContent = "";
      var title = document.createElement("div");
      title.className = "text-warning";
      title.textContent = field.getAttribute("data-legacy-convert-choose") || "";
      chooser.appendChild(title);
      choices.forEach(function (choice) {
        var row = document.createElement("div");
        row.className = "legacy-convert-choice";
        row.setAttribute("data-encoding", choice.encoding);
        var use = document.createElement("button");
        use.type = "button";
        use.className = "btn btn-default btn-xs";
        use.textContent = choice.label;
        var reading = document.createElement("span");
        reading.textContent = " " + choice.text;
        use.addEventListener("click", function () {
          field.value = choice.text;
          note.textContent = " " + choice.label;
          chooser.classList.add("hidden");
        });
        row.appendChild(use);
        row.appendChild(reading);
        chooser.appendChild(row);
      });
      chooser.classList.remove("hidden");
    }
    button.addEventListener("click", function () {
      fetch("/text/convert", {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json",
                  "X-CSRFToken": token ? token.getAttribute("content") : ""},
        body: JSON.stringify({text: field.value, encoding: "auto"})
      }).then(function (r) { return r.json(); }).then(function (data) {
        chooser.classList.add("hidden");
        if (data.choices && data.choices.length > 1) {
          note.textContent = "";
          choose(data.choices);
        } else if (typeof data.text === "string") {
          field.value = data.text;
          note.textContent = " " + (data.changed ? data.label : (field.getAttribute(
            "data-legacy-convert-same") || ""));
        }
      }).catch(function () {});
    });
    field.insertAdjacentElement("afterend", chooser);
    field.insertAdjacentElement("afterend", note);
    field.insertAdjacentElement("afterend", button);
  }
  document.querySelectorAll("[data-legacy-convert]").forEach(add);
})();
