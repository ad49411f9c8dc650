/*
 * Regulars membership block: join and leave through the app proxy.
 * The proxy (same origin as the storefront) adds Shopify's signature and the
 * logged-in customer, so this script sends only what the customer agreed to.
 * No dependencies; one IIFE; safe to load more than once (theme editor).
 */
/* global document, fetch */
(function () {
  "use strict";

  var PANELS = { "logged-out": "logged-out", none: "join", left: "join", active: "active" };

  function init(root) {
    if (root.getAttribute("data-regulars-ready") === "1") return;
    root.setAttribute("data-regulars-ready", "1");
    var path = root.getAttribute("data-proxy-path") || "/apps/regulars/membership";
    var status = root.querySelector("[data-status]");
    var buttons = root.querySelectorAll("[data-action]");

    function message(name) {
      return root.getAttribute("data-message-" + name) || "";
    }

    function say(text) {
      if (status) status.textContent = text;
    }

    function show(state, focus) {
      var panel = PANELS[state] || "join";
      root.setAttribute("data-state", state);
      var panels = root.querySelectorAll("[data-panel]");
      for (var i = 0; i < panels.length; i++) {
        panels[i].hidden = panels[i].getAttribute("data-panel") !== panel;
      }
      // The pressed button is now hidden: keep keyboard users in the block.
      if (focus) {
        var next = root.querySelector('[data-panel="' + panel + '"] button, [data-panel="' + panel + '"] a');
        if (next) next.focus();
      }
    }

    function busy(on) {
      root.setAttribute("aria-busy", on ? "true" : "false");
      for (var i = 0; i < buttons.length; i++) buttons[i].disabled = on;
    }

    function request(method, suffix, body) {
      return fetch(path + suffix, {
        method: method,
        credentials: "same-origin",
        headers: body ? { "Content-Type": "application/json", Accept: "application/json" } : { Accept: "application/json" },
        body: body ? JSON.stringify(body) : undefined,
      }).then(function (response) {
        return response.json().then(
          function (json) { return { ok: response.ok, json: json }; },
          function () { return { ok: false, json: null }; }
        );
      });
    }

    function apply(result, doneMessage) {
      var json = result.json || {};
      if (result.ok && json.membership) {
        show(json.membership.status, true);
        say(doneMessage);
        return;
      }
      var error = json.error || {};
      if (error.code === "login_required") show("logged-out", true);
      say(error.message || message("error"));
    }

    function act(action) {
      busy(true);
      say(message("working"));
      var body = action === "join" ? { consentText: root.getAttribute("data-consent-text") || "", accepted: true } : {};
      // Buttons are enabled again before the panel switches: a disabled button cannot take focus.
      request("POST", "/" + action, body).then(
        function (result) {
          busy(false);
          apply(result, message(action === "join" ? "joined" : "left"));
        },
        function () {
          busy(false);
          say(message("error"));
        }
      );
    }

    for (var i = 0; i < buttons.length; i++) {
      buttons[i].addEventListener("click", function (event) {
        act(event.currentTarget.getAttribute("data-action"));
      });
    }

    // The page may be cached or the tag not written back yet: ask the app.
    if (root.getAttribute("data-state") !== "logged-out") {
      request("GET", "")
        .then(function (result) {
          var json = result.json || {};
          if (!result.ok) return;
          show(json.loggedIn ? json.membership.status : "logged-out", false);
        })
        .catch(function () { /* keep the state the page was rendered with */ });
    }
  }

  function initAll(scope) {
    var roots = scope.querySelectorAll("[data-regulars-membership]");
    for (var i = 0; i < roots.length; i++) init(roots[i]);
  }

  initAll(document);
  // The theme editor re-renders sections without reloading the page.
  document.addEventListener("shopify:section:load", function (event) {
    initAll(event.target);
  });
})();
