// The transaction wizard (/ui/wizard): uploads, the exact command message, its preview,
// and its submission over the command WebSocket with live progress.
"use strict";
(function () {
  var form = document.getElementById("wizard-form");
  if (!form) { return; }
  var uploaded = [];
  var status = document.getElementById("wizard-status");
  var result = document.getElementById("wizard-result");
  var bar = document.getElementById("wizard-progress");
  var pre = document.getElementById("wizard-preview-json");
  var openLink = document.getElementById("wizard-open-container");
  var submitBtn = document.getElementById("wizard-submit");
  TMTM.wireUploads(document.getElementById("wizard-file"), document.getElementById("upload-progress"),
                   document.getElementById("uploaded-files"), uploaded, status, form);

  // Message ids are fixed until a submission succeeds, so the preview shows exactly what
  // the submit button sends (the message is rebuilt from the form each time).
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

  document.getElementById("wizard-preview").addEventListener("click", function () {
    var m = build();
    if (typeof m === "string") { TMTM.outcome(result, "problem", m); return; }
    pre.textContent = JSON.stringify(m, null, 2);
  });

  submitBtn.addEventListener("click", function () {
    if (form.dataset.uploading) { status.textContent = form.dataset.msgUploading; return; }
    var m = build();
    if (typeof m === "string") { TMTM.outcome(result, "problem", m); return; }
    pre.textContent = JSON.stringify(m, null, 2);
    submitBtn.disabled = true;
    result.hidden = true;
    bar.value = 0;
    status.textContent = form.dataset.msgSending;
    var first = names()[0];
    TMTM.send(m, {
      progress: function (p, text) { if (p !== null) { bar.value = p; } if (text) { status.textContent = text; } },
      done: function () {
        bar.value = 100;
        TMTM.outcome(result, "done", form.dataset.msgDone);
        openLink.href = "/ui/containers/" + encodeURIComponent(first);
        openLink.hidden = false;
        submitBtn.disabled = false;
        ids = { msg: TMTM.randomId(), txn: TMTM.randomId() };
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
