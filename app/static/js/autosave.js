/* Background saving of the answering form: a few seconds after the last change the whole form
   is posted to its autosave address; the answer's new version becomes the form's base version.
   "Sparat hh:mm" is announced in the aria-live region. The answers tell apart:
   - sent to the login page (or 401): the session has ended; it stops and says so;
   - 409 (someone else saved, or the answer is locked) and other refusals: it stops and asks for
     the Save button, which shows what happened without losing anything;
   - 5xx or no answer at all (a database restarting, the network gone): "not saved yet", and it
     tries again after 2, 4, 8 … seconds (at most 60), or as usual after the next change. It never
     stops for good on such a failure.
   Without this script the Save button is enough. */
(function () {
  "use strict";

  var DELAY_MS = 3000;
  var FIRST_RETRY_MS = 2000;
  var MAX_RETRY_MS = 60000;
  var form = document.getElementById("answer-form");
  if (!form || !form.dataset.autosaveUrl || !window.fetch || !window.FormData) {
    return;
  }
  var status = document.getElementById("autosave-status");
  var baseVersion = form.querySelector("[data-base-version]");
  var timer = null;
  var inFlight = false;
  var pending = false;
  var stopped = false;
  var submitting = false;
  var waitingSubmitter = null;
  var retryMs = 0;  // the wait before the next retry after a failure; 0 while saves succeed

  function announce(text, isError) {
    if (!status) {
      return;
    }
    status.textContent = text;
    status.classList.toggle("autosave-error", Boolean(isError));
  }

  function stop(text) {
    stopped = true;
    window.clearTimeout(timer);
    announce(text, true);
  }

  function send(keepalive) {
    if (stopped || submitting) {
      return;
    }
    if (inFlight) {
      pending = true;
      return;
    }
    inFlight = true;
    pending = false;
    var data = new FormData(form);
    data.delete("action");
    fetch(form.dataset.autosaveUrl, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      keepalive: Boolean(keepalive),
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      var json = type.indexOf("application/json") !== -1;
      if (response.status === 401 || (response.redirected && !json)) {
        // Sent to the login page: the session has ended.
        stop(form.dataset.msgLoggedOut || "Automatisk sparning är avbruten eftersom du har loggats ut.");
        return null;
      }
      if (response.status >= 500) {
        failed();
        return null;
      }
      if (!json) {
        stop(form.dataset.msgStopped || "Automatisk sparning är avbruten. Klicka på Spara utkast.");
        return null;
      }
      return response.json().then(function (body) {
        retryMs = 0;
        if (body.ok) {
          baseVersion.value = String(body.version);
          announce(body.message, false);
        } else if (body.error === "invalid") {
          announce(body.message, true);
        } else {
          stop(body.message);
        }
      });
    }).catch(function () {
      failed();  // no answer: the network or the server is away
    }).then(function () {
      inFlight = false;
      if (waitingSubmitter) {
        // A button was clicked while this save was on its way: send the form now, with the
        // base version this save returned.
        var submitter = waitingSubmitter;
        waitingSubmitter = null;
        if (form.requestSubmit) {
          form.requestSubmit(submitter);
        } else {
          submitter.click();
        }
      } else if (pending && !stopped) {
        schedule();
      }
    });
  }

  // Not saved, but nothing says it never will be: say so and try again later, each wait twice the
  // one before, up to a minute.
  function failed() {
    retryMs = retryMs ? Math.min(retryMs * 2, MAX_RETRY_MS) : FIRST_RETRY_MS;
    announce(form.dataset.msgRetrying || "Inte sparat ännu. Försöker igen om en stund.", true);
    pending = false;
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      timer = null;
      send(false);
    }, retryMs);
  }

  function schedule() {
    if (stopped || submitting) {
      return;
    }
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      timer = null;
      send(false);
    }, DELAY_MS);
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  form.addEventListener("submit", function (event) {
    if (submitting) {
      // A second click while the first is on its way: the server would answer the same.
      event.preventDefault();
      return;
    }
    window.clearTimeout(timer);
    timer = null;
    if (inFlight) {
      event.preventDefault();
      waitingSubmitter = event.submitter || form.querySelector('button[name="action"]');
      return;
    }
    submitting = true;
  });
  // Leaving the page with a change not yet saved: send it now.
  window.addEventListener("pagehide", function () {
    if (timer && !submitting && !stopped && !inFlight) {
      window.clearTimeout(timer);
      timer = null;
      send(true);
    }
  });
})();
