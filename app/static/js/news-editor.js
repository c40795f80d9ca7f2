/* The news body editor: Quill (vendored) over the form's `body` textarea. Images go to our
   own upload endpoint (never data: URLs); the server sanitises whatever arrives. */
(function () {
  "use strict";
  var source = document.getElementById("body");
  var holder = document.getElementById("news-editor");
  if (!source || !holder || !window.Quill) { return; }
  var form = source.form;
  var status = form.querySelector(".news-editor-status");
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var quill;

  function say(text) { status.textContent = text || ""; }

  function upload(file) {
    var data = new FormData();
    data.append("file", file);
    say(holder.dataset.uploading);
    return fetch(holder.dataset.uploadUrl, {
      method: "POST", body: data, credentials: "same-origin", headers: {"X-CSRFToken": csrf}
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (!response.ok || !json.url) { throw new Error(json.message || holder.dataset.uploadFailed); }
        return json;
      });
    });
  }

  function insertImages(range, files) {
    Array.prototype.forEach.call(files, function (file) {
      upload(file).then(function (json) {
        var at = (quill.getSelection(true) || range || {index: quill.getLength()}).index;
        quill.insertEmbed(at, "image", json.url, "user");
        quill.setSelection(at + 1, 0, "silent");
        say("");
      }).catch(function (error) { say(error.message); });
    });
  }

  function pickImage() {
    var input = document.createElement("input");
    input.type = "file";
    input.accept = "image/jpeg,image/png";
    input.className = "news-image-input";
    input.hidden = true;
    input.addEventListener("change", function () {
      insertImages(quill.getSelection(true), input.files);
      input.remove();
    });
    form.appendChild(input);
    input.click();
  }

  holder.parentNode.hidden = false;
  source.style.display = "none";  // .form-control would override the hidden attribute
  quill = new window.Quill(holder, {
    theme: "snow",
    placeholder: holder.dataset.placeholder,
    modules: {
      toolbar: {
        container: [[{header: [2, 3, 4, false]}], ["bold", "italic", "underline", "strike"],
                    ["blockquote", {list: "ordered"}, {list: "bullet"}], ["link", "image"],
                    ["clean"]],
        handlers: {image: pickImage}
      },
      uploader: {mimetypes: ["image/png", "image/jpeg"], handler: insertImages}
    }
  });
  form.addEventListener("submit", function () {
    var empty = quill.getText().trim() === "" && !quill.root.querySelector("img");
    source.value = empty ? "" : quill.getSemanticHTML().replace(/&nbsp;/g, " ");
  });
})();
