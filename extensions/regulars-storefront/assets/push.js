/*
 * Regulars push prompt (app embed). A soft prompt first; the browser's own
 * permission dialog only after the customer taps "Turn on notifications".
 * Then: register the service worker from the app proxy (its scope is the
 * proxy path), subscribe with the shop's public key, and save the
 * subscription through the app proxy, which adds Shopify's signature and the
 * logged-in customer. On later page views it keeps the subscription current:
 * resubscribes after a key rotation or an expired endpoint, and posts again
 * once the customer is logged in so the subscription is linked to them.
 * No dependencies; one IIFE; safe to load more than once (theme editor).
 */
/* global window, document, navigator, fetch, localStorage, sessionStorage, setTimeout, Notification, atob, btoa */
(function () {
  "use strict";

  var STORE = "regulars.push.";

  function read(key) {
    try {
      return localStorage.getItem(STORE + key);
    } catch {
      return null;
    }
  }

  function write(key, value) {
    try {
      if (value === null) localStorage.removeItem(STORE + key);
      else localStorage.setItem(STORE + key, value);
    } catch {
      // Private mode without storage: the prompt may show again, nothing breaks.
    }
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var text = "";
    for (var i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function fromBase64url(value) {
    var text = atob(value.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((value.length + 3) % 4));
    var bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes;
  }

  /** The storefront's id for this browser: links a visitor's subscription when they log in or order. */
  function browserId() {
    var id = read("browser");
    if (id && /^[A-Za-z0-9_-]{16,64}$/.test(id)) return id;
    var random = new Uint8Array(18);
    window.crypto.getRandomValues(random);
    id = toBase64url(random);
    write("browser", id);
    return id;
  }

  function isIos() {
    return /iPad|iPhone|iPod/.test(navigator.userAgent) || (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  }

  function standalone() {
    return (window.matchMedia && window.matchMedia("(display-mode: standalone)").matches) || navigator.standalone === true;
  }

  function init(root) {
    if (root.getAttribute("data-regulars-ready") === "1") return;
    root.setAttribute("data-regulars-ready", "1");
    var base = (root.getAttribute("data-proxy-path") || "/apps/regulars").replace(/\/$/, "");
    var scope = base + "/";
    var loggedIn = root.getAttribute("data-logged-in") === "true";
    var status = root.querySelector("[data-status]");
    var supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;

    function attr(name) {
      return root.getAttribute("data-" + name) || "";
    }

    function say(text) {
      if (status) status.textContent = text;
    }

    /** Shows one panel (or none). Focus is not moved: the prompt appears on its own, while the customer is reading. */
    function show(panel) {
      var panels = root.querySelectorAll("[data-panel]");
      for (var i = 0; i < panels.length; i++) panels[i].hidden = panels[i].getAttribute("data-panel") !== panel;
    }

    function busy(on) {
      var buttons = root.querySelectorAll("[data-action]");
      root.setAttribute("aria-busy", on ? "true" : "false");
      for (var i = 0; i < buttons.length; i++) buttons[i].disabled = on;
    }

    function request(method, path, body) {
      return fetch(base + path, {
        method: method,
        credentials: "same-origin",
        headers: body ? { "Content-Type": "application/json", Accept: "application/json" } : { Accept: "application/json" },
        body: body ? JSON.stringify(body) : undefined,
      }).then(function (response) {
        return response.json().then(
          function (json) {
            return { ok: response.ok, json: json };
          },
          function () {
            return { ok: false, json: null };
          }
        );
      });
    }

    function addManifest() {
      if (document.querySelector('link[rel="manifest"]')) return;
      var query = [];
      if (attr("icon")) query.push("icon=" + encodeURIComponent(attr("icon")));
      if (attr("theme-color")) query.push("theme_color=" + encodeURIComponent(attr("theme-color")));
      var link = document.createElement("link");
      link.rel = "manifest";
      link.href = base + "/manifest.webmanifest" + (query.length ? "?" + query.join("&") : "");
      document.head.appendChild(link);
    }

    function config() {
      return request("GET", "/push").then(function (result) {
        if (!result.ok || !result.json || !result.json.publicKey) throw new Error("push settings unavailable");
        return result.json;
      });
    }

    /** The registration once its worker is active: subscribing needs an active worker. */
    function register() {
      return navigator.serviceWorker.register(base + "/sw.js", { scope: scope }).then(function (registration) {
        if (registration.active) return registration;
        return new Promise(function (resolve, reject) {
          var worker = registration.installing || registration.waiting;
          if (!worker) return reject(new Error("no service worker"));
          worker.addEventListener("statechange", function () {
            if (worker.state === "activated") resolve(registration);
            else if (worker.state === "redundant") reject(new Error("service worker failed to install"));
          });
        });
      });
    }

    function subscriptionKey(subscription) {
      var key = subscription.options && subscription.options.applicationServerKey;
      return key ? toBase64url(key) : read("key");
    }

    /** Saves the subscription; sends the opt-in the customer gave (kept until a logged-in save records it). */
    function save(subscription, key) {
      var optIn = read("opt-in");
      var body = { subscription: subscription.toJSON(), applicationServerKey: key, browserId: browserId() };
      if (optIn && loggedIn) body.optIn = { consentText: optIn };
      return request("POST", "/push/subscribe", body).then(function (result) {
        var json = result.json || {};
        if (!result.ok) throw new Error((json.error && json.error.message) || "subscription not saved");
        write("key", key);
        write("synced", subscription.endpoint + "|" + loggedIn + "|" + new Date().toISOString().slice(0, 10));
        if (loggedIn) write("opt-in", null);
        if (!json.linked) rememberBrowserOnCart();
        return json;
      });
    }

    /** A visitor's order carries this browser's id, so the order links the subscription to them. */
    function rememberBrowserOnCart() {
      var url = attr("cart-update-url");
      try {
        if (!url || sessionStorage.getItem(STORE + "cart") === "1") return;
        sessionStorage.setItem(STORE + "cart", "1");
      } catch {
        return;
      }
      fetch(url + ".js", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ attributes: { _regulars_browser: browserId() } }),
      }).catch(function () {
        /* the link by login still works */
      });
    }

    function subscribe(registration, publicKey) {
      return registration.pushManager
        .subscribe({ userVisibleOnly: true, applicationServerKey: fromBase64url(publicKey) })
        .then(function (subscription) {
          return save(subscription, publicKey);
        });
    }

    function resubscribe(registration, subscription, publicKey) {
      return subscription.unsubscribe().then(function () {
        return subscribe(registration, publicKey);
      });
    }

    /** Permission granted earlier: keep the subscription current without asking anything. */
    function sync() {
      var settings;
      var registration;
      return Promise.all([config(), register()])
        .then(function (values) {
          settings = values[0];
          registration = values[1];
          return registration.pushManager.getSubscription();
        })
        .then(function (subscription) {
          if (!subscription) return read("opt-in") || read("key") ? subscribe(registration, settings.publicKey) : null;
          // A rotated key: move this browser to the shop's current key.
          if (subscriptionKey(subscription) !== settings.publicKey) return resubscribe(registration, subscription, settings.publicKey);
          var fingerprint = subscription.endpoint + "|" + loggedIn + "|" + new Date().toISOString().slice(0, 10);
          if (read("synced") === fingerprint && !(read("opt-in") && loggedIn)) return null;
          return save(subscription, settings.publicKey).then(function (json) {
            // The push service dropped this endpoint: subscribe afresh.
            return json.status === "expired" ? resubscribe(registration, subscription, settings.publicKey) : json;
          });
        })
        .catch(function () {
          /* try again on the next page */
        });
    }

    function askPermission() {
      return new Promise(function (resolve) {
        var answer = Notification.requestPermission(resolve);
        if (answer && typeof answer.then === "function") answer.then(resolve, function () {
          resolve("default");
        });
      });
    }

    function accept() {
      busy(true);
      // Straight from the tap: browsers show their permission dialog only in response to one.
      askPermission()
        .then(function (permission) {
          if (permission !== "granted") {
            write("dismissed", String(Date.now()));
            show(null);
            say(attr("message-denied"));
            return null;
          }
          write("opt-in", attr("consent-text"));
          return Promise.all([config(), register()]).then(function (values) {
            return subscribe(values[1], values[0].publicKey).then(function () {
              show(null);
              say(attr("message-done"));
            });
          });
        })
        .catch(function () {
          say(attr("message-error"));
        })
        .then(function () {
          busy(false);
        });
    }

    function dismiss() {
      write("dismissed", String(Date.now()));
      show(null);
    }

    function dismissedRecently() {
      var at = Number(read("dismissed") || 0);
      var days = Number(attr("ask-again-days") || 30);
      return at > 0 && Date.now() - at < days * 24 * 3600 * 1000;
    }

    function turnOff() {
      if (!supported) return;
      navigator.serviceWorker
        .getRegistration(scope)
        .then(function (registration) {
          return registration ? registration.pushManager.getSubscription() : null;
        })
        .then(function (subscription) {
          if (!subscription) return null;
          return request("POST", "/push/unsubscribe", { endpoint: subscription.endpoint }).then(function () {
            write("key", null);
            write("opt-in", null);
            write("synced", null);
            return subscription.unsubscribe();
          });
        })
        .then(function () {
          say(attr("message-off"));
        })
        .catch(function () {
          say(attr("message-error"));
        });
    }

    var actions = root.querySelectorAll("[data-action]");
    for (var i = 0; i < actions.length; i++) {
      actions[i].addEventListener("click", function (event) {
        var action = event.currentTarget.getAttribute("data-action");
        if (action === "accept") accept();
        else dismiss();
      });
    }
    // Any element on the page marked data-regulars-push-off turns notifications off (e.g. on an account page).
    var offSwitches = document.querySelectorAll("[data-regulars-push-off]");
    for (var j = 0; j < offSwitches.length; j++) {
      offSwitches[j].addEventListener("click", function (event) {
        event.preventDefault();
        turnOff();
      });
    }

    addManifest();
    if (!supported) {
      if (isIos() && !standalone() && attr("ios-hint") === "true" && attr("prompt") === "true" && !dismissedRecently()) {
        setTimeout(function () {
          show("ios");
        }, Number(attr("delay-seconds") || 0) * 1000);
      }
      return;
    }
    if (Notification.permission === "granted") {
      sync();
      return;
    }
    if (Notification.permission === "denied" || attr("prompt") !== "true" || dismissedRecently()) return;
    setTimeout(function () {
      show("prompt");
    }, Number(attr("delay-seconds") || 0) * 1000);
  }

  function initAll(scope) {
    var roots = scope.querySelectorAll("[data-regulars-push]");
    for (var i = 0; i < roots.length; i++) init(roots[i]);
  }

  initAll(document);
  document.addEventListener("shopify:section:load", function (event) {
    initAll(event.target);
  });
})();
