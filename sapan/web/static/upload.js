// Sends the upload form by XMLHttpRequest so the page can show how much of the file has gone up;
// without JavaScript the same form posts normally. The server answers this request with JSON:
// {"location": the ingest page} or {"errors": [...]}.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-upload]");
  if (!form || !window.FormData) return;
  const box = document.getElementById("upload-progress");
  const bar = document.getElementById("upload-bar");
  const percent = document.getElementById("upload-percent");
  const errors = document.getElementById("upload-errors");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    box.hidden = false;
    button.disabled = true;
    xhr.upload.onprogress = (e) => {
      if (!e.lengthComputable) return;
      const done = Math.round((100 * e.loaded) / e.total);
      bar.value = done;
      bar.textContent = done + "%";
      percent.textContent = done + "%";
    };
    xhr.onload = () => {
      let answer = {};
      try { answer = JSON.parse(xhr.responseText); } catch (_) { answer = {}; }
      if (xhr.status === 200 && answer.location) { window.location.assign(answer.location); return; }
      button.disabled = false;
      box.hidden = true;
      const list = document.createElement("ul");
      const messages = answer.errors || [xhr.status === 413 ? "413" : String(xhr.status)];
      for (const message of messages) {
        const item = document.createElement("li");
        item.textContent = message;
        list.appendChild(item);
      }
      const wrap = document.createElement("div");
      wrap.className = "error";
      wrap.appendChild(list);
      errors.replaceChildren(wrap);
    };
    xhr.onerror = () => { button.disabled = false; form.submit(); };
    xhr.send(new FormData(form));
  });
});
