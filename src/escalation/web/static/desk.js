/* Escalation Desk dashboard: live follow-up countdowns, htmx settings, the viewer's time zone.
   Everything here is progressive: without JavaScript the server-rendered text is correct as of
   the moment the page was served, and every form posts normally. */
(function () {
  "use strict";

  // A refused action answers 403/404/409/422/429 with the page section carrying the desk's
  // message: swap it in like a success instead of dropping it.
  if (window.htmx) {
    window.htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "(403|404|409|422|429)", swap: true, error: false },
      { code: "[45]..", swap: false, error: true }
    ];
    window.htmx.config.allowEval = false;
  }

  // The server shows times on the viewer's clock once it knows their zone.
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && /^[A-Za-z0-9_+\-\/]+$/.test(zone) &&
        document.cookie.split("; ").indexOf("tz=" + zone) === -1) {
      document.cookie = "tz=" + zone + "; path=/; max-age=31536000; samesite=lax";
    }
  } catch (ignored) { /* no Intl: times stay in UTC */ }

  var words = {};
  try {
    words = JSON.parse(document.body.getAttribute("data-countdown") || "{}");
  } catch (ignored) { words = {}; }
  if (!words.units) {
    words = { "in": "in {span}", due: "due {span} ago", overdue: "overdue {span}",
              units: ["d", "h", "min", "s"], unitGap: " ", partGap: " " };
  }

  // The same shape as the server's i18n.span: seconds under a day, minutes beyond.
  function span(ms) {
    var total = Math.floor(Math.abs(ms) / 1000);
    var days = Math.floor(total / 86400);
    var rest = total % 86400;
    var hours = Math.floor(rest / 3600);
    rest %= 3600;
    var minutes = Math.floor(rest / 60);
    var seconds = rest % 60;
    var u = words.units;
    var parts = [];
    if (days) {
      [[days, u[0]], [hours, u[1]], [minutes, u[2]]].forEach(function (p) {
        if (p[0]) { parts.push(p); }
      });
    } else {
      if (hours) { parts.push([hours, u[1]]); }
      if (hours || minutes) { parts.push([minutes, u[2]]); }
      parts.push([seconds, u[3]]);
    }
    return parts.map(function (p) { return p[0] + words.unitGap + p[1]; }).join(words.partGap);
  }

  var STATES = ["upcoming", "soon", "due", "overdue"];

  function update(el) {
    var due = Date.parse(el.getAttribute("data-due"));
    var overdue = Date.parse(el.getAttribute("data-overdue"));
    if (isNaN(due) || isNaN(overdue)) { return; }
    var soon = Number(el.getAttribute("data-soon-minutes") || "30") * 60000;
    var now = Date.now();
    var left = due - now;
    var state;
    var text;
    if (now >= overdue) {
      state = "overdue";
      text = words.overdue.replace("{span}", span(left));
    } else if (left <= 0) {
      state = "due";
      text = words.due.replace("{span}", span(left));
    } else {
      state = left <= soon ? "soon" : "upcoming";
      text = words["in"].replace("{span}", span(left));
    }
    if (el.textContent !== text) { el.textContent = text; }
    STATES.forEach(function (s) { el.classList.toggle(s, s === state); });
  }

  function tick() {
    var clocks = document.querySelectorAll("[data-due][data-overdue]");
    for (var i = 0; i < clocks.length; i++) { update(clocks[i]); }
  }

  tick();
  window.setInterval(tick, 1000);
  document.body.addEventListener("htmx:afterSwap", tick);
}());
