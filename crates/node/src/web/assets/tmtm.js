// Shared helpers of the dashboard pages: file upload with progress (POST /upload, the
// session cookie authenticates) and one request over the command WebSocket /transactions.
// No framework, no inline script (the pages' CSP forbids it).
"use strict";
var TMTM = (function () {
  function randomId() {
    var a = new Uint8Array(16);
    window.crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // Uploads one file; onProgress(percent); done(error, result).
  function upload(file, onProgress, done) {
    var xhr = new XMLHttpRequest();
    var data = new FormData();
    data.append("file", file, file.name);
    xhr.open("POST", "/upload");
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) { onProgress(Math.round(e.loaded * 100 / e.total)); }
    };
    xhr.onload = function () {
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      if (xhr.status === 200 && body && body.url) { onProgress(100); done(null, body); }
      else { done((body && (body.detail || body.message)) || ("HTTP " + xhr.status), null); }
    };
    xhr.onerror = function () { done("network error", null); };
    xhr.send(data);
  }

  // The Aries attachment of an upload result (size and SHA-256 ride along, so other nodes
  // can show them: they are covered by the transaction's signature).
  function attachment(u, i) {
    return { "@id": "document-" + i, "mime_type": u.mime_type, "filename": u.filename,
             "data": { "json": { "url": u.url, "md5": u.md5, "size": u.size, "sha256": u.sha256 } } };
  }

  // Sends one message (an object, or JSON text sent as it is); handlers: progress(percent,
  // message), done(msg), problem(text).
  function send(message, handlers) {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(scheme + window.location.host + "/transactions");
    var finished = false;
    ws.onopen = function () { ws.send(typeof message === "string" ? message : JSON.stringify(message)); };
    ws.onmessage = function (e) {
      var m = null;
      try { m = JSON.parse(e.data); } catch (err) { return; }
      var type = String(m["@type"] || "");
      if (/problem_report$/.test(type)) {
        finished = true;
        handlers.problem(String(m.explain || m["problem-code"] || ""));
      } else if (/progress$/.test(type)) {
        if (typeof m.progress === "number") { handlers.progress(m.progress, m.message); }
        else if (m.message) { handlers.progress(null, m.message); }
        if (m.done) { finished = true; handlers.done(m); }
      }
    };
    ws.onclose = function () { if (!finished) { finished = true; handlers.closed(); } };
    ws.onerror = function () { /* onclose follows */ };
  }

  function field(form, name) {
    var el = form.elements[name];
    return el ? String(el.value).trim() : "";
  }

  // Wires a file input to upload each chosen file, listing results in `list`.
  function wireUploads(input, bar, list, uploaded, status, form) {
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files);
      form.dataset.uploading = "1";
      var next = function () {
        var f = files.shift();
        if (!f) { input.value = ""; delete form.dataset.uploading; return; }
        bar.value = 0;
        status.textContent = form.dataset.msgUploading;
        upload(f, function (p) { bar.value = p; }, function (err, u) {
          if (err) {
            status.textContent = form.dataset.msgUploadFailed + " " + f.name + ": " + err;
          } else {
            uploaded.push(u);
            form.dispatchEvent(new Event("tmtm-uploaded"));
            var li = document.createElement("li");
            li.textContent = u.filename + " · " + u.size + " B · SHA-256 " + u.sha256;
            list.appendChild(li);
            status.textContent = "";
          }
          next();
        });
      };
      next();
    });
  }

  // Shows the final outcome in `result` (data-outcome done|problem).
  function outcome(result, kind, text) {
    result.hidden = false;
    result.setAttribute("data-outcome", kind);
    result.className = "flash " + (kind === "done" ? "flash-ok" : "flash-error");
    result.textContent = text;
  }

  return { randomId: randomId, upload: upload, attachment: attachment, send: send,
           field: field, wireUploads: wireUploads, outcome: outcome };
})();
