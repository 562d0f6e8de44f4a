// The GU-11 / GU-12 create form: uploads, then the gu-11/gu-12 command over the WebSocket.
"use strict";
(function () {
  var form = document.getElementById("gu-form");
  if (!form) { return; }
  var uploaded = [];
  var status = document.getElementById("gu-status");
  var result = document.getElementById("gu-result");
  var btn = document.getElementById("gu-submit");
  TMTM.wireUploads(document.getElementById("gu-file"), document.getElementById("gu-upload-progress"),
                   document.getElementById("gu-uploaded-files"), uploaded, status, form);
  var names = ["no", "date", "cargo_name", "depart_station", "arrival_station", "month", "year",
               "decade", "tonnage", "shipper"];
  btn.addEventListener("click", function () {
    if (form.dataset.uploading) { status.textContent = form.dataset.msgUploading; return; }
    var msg = { "@type": form.dataset.command, "@id": TMTM.randomId() };
    names.forEach(function (n) {
      if (form.elements[n]) { msg[n] = TMTM.field(form, n); }
    });
    if (form.dataset.gu11 !== "true") { delete msg.decade; }
    msg["~attach"] = uploaded.map(TMTM.attachment);
    btn.disabled = true;
    result.hidden = true;
    status.textContent = form.dataset.msgSending;
    TMTM.send(msg, {
      progress: function (p, text) { if (text) { status.textContent = text; } },
      done: function (m) {
        TMTM.outcome(result, "done", m.message || form.dataset.msgDone);
        status.textContent = "";
        btn.disabled = false;
      },
      problem: function (text) {
        TMTM.outcome(result, "problem", form.dataset.msgProblem + " " + text);
        btn.disabled = false;
      },
      closed: function () {
        TMTM.outcome(result, "problem", form.dataset.msgClosed);
        btn.disabled = false;
      }
    });
  });
})();
