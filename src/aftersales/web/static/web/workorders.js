// The customer's signature on a completed job: draws on a canvas with signature_pad and puts
// the PNG (as a data URL) in the form's hidden field. Without JavaScript the canvas stays
// hidden and the customer accepts in writing instead.
(function () {
  "use strict";

  function wire(root) {
    if (!window.SignaturePad || !root.querySelectorAll) {
      return;
    }
    root.querySelectorAll("[data-signature]").forEach(function (box) {
      if (box.dataset.wired) {
        return;
      }
      box.dataset.wired = "1";
      var canvas = box.querySelector("canvas");
      var input = document.getElementById(box.dataset.signature);
      var state = box.querySelector("[data-empty]");
      var pad = new window.SignaturePad(canvas, {
        backgroundColor: "rgb(255, 255, 255)",
        penColor: "rgb(17, 24, 39)",
      });

      function show() {
        var empty = pad.isEmpty();
        input.value = empty ? "" : pad.toDataURL("image/png");
        if (state) {
          state.textContent = empty ? state.dataset.empty : state.dataset.signed;
        }
      }

      function resize() {
        // Draw at the screen's pixel density, keeping what was signed.
        var ratio = Math.max(window.devicePixelRatio || 1, 1);
        var width = canvas.offsetWidth;
        if (!width) {
          return;
        }
        var strokes = pad.toData();
        canvas.width = width * ratio;
        canvas.height = canvas.offsetHeight * ratio;
        canvas.getContext("2d").scale(ratio, ratio);
        pad.clear();
        pad.fromData(strokes);
        show();
      }

      pad.addEventListener("endStroke", show);
      box.querySelector(".signature-clear").addEventListener("click", function () {
        pad.clear();
        show();
      });
      // A closed <details> has no size yet: size the canvas when it opens.
      var details = box.closest("details");
      if (details) {
        details.addEventListener("toggle", function () {
          if (details.open) {
            resize();
          }
        });
      }
      window.addEventListener("resize", resize);
      resize();
      // Freshly swapped content may not be laid out yet.
      window.requestAnimationFrame(resize);
    });
  }

  function start() {
    wire(document);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
  // htmx swaps in fresh forms: wire their canvases too.
  document.addEventListener("htmx:load", function (event) {
    wire(event.target);
  });
})();
