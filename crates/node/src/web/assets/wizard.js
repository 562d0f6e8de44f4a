// The transaction wizard (/ui/wizard): uploads, the exact command message, its editable
// preview, and its submission over the command WebSocket with live progress. What is sent
// is exactly the preview's text; text that is not a JSON object is refused next to it.
"use strict";
(function () {
  var form = document.getElementById("wizard-form");
  if (!form) { return; }
  var uploaded = [];
  var status = document.getElementById("wizard-status");
  var result = document.getElementById("wizard-result");
  var bar = document.getElementById("wizard-progress");
  var jsonBox = document.getElementById("wizard-preview-json");
  var openLink = document.getElementById("wizard-open-container");
  var submitBtn = document.getElementById("wizard-submit");
  TMTM.wireUploads(document.getElementById("wizard-file"), document.getElementById("upload-progress"),
                   document.getElementById("uploaded-files"), uploaded, status, form);

  // Message ids are fixed until a submission succeeds, so rebuilding the preview from the
  // form keeps them.
  var ids = { msg: TMTM.randomId(), txn: TMTM.randomId() };

  function names() {
    return TMTM.field(form, "ledgers").split(",").map(function (s) { return s.trim(); })
      .filter(function (s) { return s.length > 0; });
  }

  // The message to send, or a string saying what is missing.
  function build() {
    var ledgers = names();
    var prefix = form.dataset.prefix;
    var isNew = form.dataset.mode === "new";
    if (ledgers.length === 0) { return form.dataset.msgNeedName; }
    if (isNew && ledgers.length > 1) { return form.dataset.msgOneNew; }
    var f = function (n) { return TMTM.field(form, n); };
    var txn = {
      "@type": prefix + "issue-transaction",
      "@id": ids.txn,
      "no": f("no"),
      "date": f("date"),
      "cargo": f("cargo_name"),
      "departure_station": f("depart_station"),
      "arrival_station": f("arrival_station"),
      "doc_type": f("doc_type"),
      "ledger": { "name": ledgers.length === 1 ? ledgers[0] : ledgers },
      "~attach": uploaded.map(TMTM.attachment)
    };
    if (f("waybill") || f("wagon")) { txn.waybill = { "no": f("waybill"), "wagon_no": f("wagon") }; }
    if (!isNew) { txn.time_to_live = 40; return txn; }
    return { "@type": prefix + "create-ledger", "@id": ids.msg, "name": ledgers[0],
             "genesis": [txn], "time_to_live": 20 };
  }

  var label = document.getElementById("wizard-preview-label");
  var jsonError = document.getElementById("wizard-json-error");

  function showJsonError(text) {
    jsonError.textContent = text;
    jsonError.hidden = !text;
  }

  // Shows `m` in the editable preview (replacing any edits).
  function showPreview(m) {
    jsonBox.value = JSON.stringify(m, null, 2);
    jsonBox.hidden = false;
    label.hidden = false;
    showJsonError("");
  }

  // The preview follows the form: a change in a field (or a finished upload) rebuilds a
  // shown preview, dropping edits made in it.
  function refresh(e) {
    if (e && e.target === jsonBox) { return; }
    if (jsonBox.hidden) { return; }
    var m = build();
    if (typeof m !== "string") { showPreview(m); }
  }
  form.addEventListener("input", refresh);
  form.addEventListener("change", refresh);
  form.addEventListener("tmtm-uploaded", refresh);

  // The text to send: the preview exactly as shown (built from the form first when no
  // preview is shown). Returns null, with the reason shown, when nothing may be sent.
  function messageText() {
    if (jsonBox.hidden || jsonBox.value.trim() === "") {
      var built = build();
      if (typeof built === "string") { TMTM.outcome(result, "problem", built); return null; }
      showPreview(built);
    }
    var text = jsonBox.value;
    var parsed;
    try { parsed = JSON.parse(text); } catch (err) {
      showJsonError(form.dataset.msgBadJson + " " + err.message);
      return null;
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      showJsonError(form.dataset.msgNotObject);
      return null;
    }
    showJsonError("");
    return { text: text, message: parsed };
  }

  // The container to open after success: the one the message names.
  function firstContainer(m) {
    var n = m.name !== undefined ? m.name : (m.ledger && m.ledger.name);
    if (Array.isArray(n)) { n = n[0]; }
    return typeof n === "string" && n ? n : names()[0];
  }

  document.getElementById("wizard-preview").addEventListener("click", function () {
    var m = build();
    if (typeof m === "string") { TMTM.outcome(result, "problem", m); return; }
    showPreview(m);
  });

  submitBtn.addEventListener("click", function () {
    if (form.dataset.uploading) { status.textContent = form.dataset.msgUploading; return; }
    var out = messageText();
    if (out === null) { return; }
    submitBtn.disabled = true;
    result.hidden = true;
    bar.value = 0;
    status.textContent = form.dataset.msgSending;
    var first = firstContainer(out.message);
    TMTM.send(out.text, {
      progress: function (p, text) { if (p !== null) { bar.value = p; } if (text) { status.textContent = text; } },
      done: function () {
        bar.value = 100;
        TMTM.outcome(result, "done", form.dataset.msgDone);
        openLink.href = "/ui/containers/" + encodeURIComponent(first);
        openLink.hidden = false;
        submitBtn.disabled = false;
        // A new message next time: fresh ids, and the preview is rebuilt from the form.
        ids = { msg: TMTM.randomId(), txn: TMTM.randomId() };
        jsonBox.hidden = true;
        label.hidden = true;
      },
      problem: function (text) {
        TMTM.outcome(result, "problem", form.dataset.msgProblem + " " + text);
        submitBtn.disabled = false;
      },
      closed: function () {
        TMTM.outcome(result, "problem", form.dataset.msgClosed);
        submitBtn.disabled = false;
      }
    });
  });
})();
