/*
 * The member card page's script, served with the QR library
 * (qrcode-generator) at /apps/regulars/card.js. It computes the card's code
 * in the page: HOTP (RFC 4226) over the current 60-second step (RFC 6238)
 * with HMAC-SHA-256 from WebCrypto, exactly as app/cards/totp.server.ts
 * checks it, so the card needs no request to show a fresh code. It registers
 * the storefront service worker, which keeps the page and this script for
 * offline use, and runs the card's settings (notifications, leaving).
 */
/* global window, document, navigator, fetch, localStorage, caches, qrcode, atob, btoa, Notification, setTimeout, clearTimeout */
(function () {
  "use strict";

  var dataElement = document.getElementById("card-data");
  if (!dataElement) return;
  var card = JSON.parse(dataElement.textContent || "{}");
  var base = card.base;
  var CACHE = "regulars-card-v1";

  function fromBase64url(value) {
    var text = atob(value.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((value.length + 3) % 4));
    var bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var text = "";
    for (var i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  var keyPromise = window.crypto.subtle.importKey("raw", fromBase64url(card.secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);

  /** RFC 4226: HMAC over the 8-byte big-endian counter, dynamic truncation. */
  function hotp(counter) {
    var message = new Uint8Array(8);
    var high = Math.floor(counter / 4294967296);
    var low = counter % 4294967296;
    new DataView(message.buffer).setUint32(0, high);
    new DataView(message.buffer).setUint32(4, low);
    return keyPromise
      .then(function (key) {
        return window.crypto.subtle.sign("HMAC", key, message);
      })
      .then(function (signature) {
        var mac = new Uint8Array(signature);
        var offset = mac[mac.length - 1] & 0x0f;
        var binary = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
        var digits = String(binary % Math.pow(10, card.digits));
        while (digits.length < card.digits) digits = "0" + digits;
        return digits;
      });
  }

  var codeElement = document.getElementById("card-code");
  var qrElement = document.getElementById("card-qr");
  var countdownElement = document.getElementById("card-countdown");
  var shownStep = -1;
  var timer = null;

  function render(code) {
    codeElement.textContent = code;
    var qr = qrcode(0, "M");
    qr.addData(code, "Alphanumeric");
    qr.make();
    qrElement.innerHTML = qr.createSvgTag({ cellSize: 4, margin: 4, scalable: true });
  }

  function tick() {
    var now = Date.now();
    var step = Math.floor(now / 1000 / card.stepSeconds);
    var left = Math.ceil(((step + 1) * card.stepSeconds * 1000 - now) / 1000);
    countdownElement.textContent = "Show this at the counter. New code in " + left + " s.";
    if (step !== shownStep) {
      shownStep = step;
      hotp(step).then(function (digits) {
        if (step === shownStep) render(card.ref + "-" + digits);
      });
    }
    clearTimeout(timer);
    timer = setTimeout(tick, 1000 - (now % 1000) + 5);
  }
  tick();

  var offlineElement = document.getElementById("card-offline");
  function showConnection() {
    offlineElement.hidden = navigator.onLine !== false;
  }
  window.addEventListener("online", showConnection);
  window.addEventListener("offline", showConnection);
  showConnection();

  var statusElement = document.getElementById("card-status");
  function say(text) {
    statusElement.textContent = text;
  }

  function request(method, path, body) {
    return fetch(base + path, {
      method: method,
      credentials: "same-origin",
      headers: body === undefined ? { Accept: "application/json" } : { "Content-Type": "application/json", Accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (response) {
      return response.json().then(
        function (json) {
          return { ok: response.ok, json: json };
        },
        function () {
          return { ok: response.ok, json: null };
        },
      );
    });
  }

  function errorText(result, fallback) {
    return (result.json && result.json.error && result.json.error.message) || fallback;
  }

  // --- Offline: the storefront service worker (scope: the proxy path) keeps the card. ---
  var registrationPromise = null;
  if ("serviceWorker" in navigator) {
    registrationPromise = navigator.serviceWorker.register(base + "/sw.js", { scope: base + "/" }).catch(function () {
      return null;
    });
    // The first visit is not yet controlled by the worker: keep this card now, so it opens offline next time.
    if (!navigator.serviceWorker.controller && window.caches) {
      caches
        .open(CACHE)
        .then(function (cache) {
          return cache.addAll([window.location.pathname, base + "/card.js"]);
        })
        .catch(function () {
          /* storage refused (private mode): the card works online */
        });
    }
  }

  // --- Notifications on this phone ---
  var pushButton = document.getElementById("card-push");
  var pushState = document.getElementById("card-push-state");
  var PUSH_STORE = "regulars.push.";

  function browserId() {
    var id = null;
    try {
      id = localStorage.getItem(PUSH_STORE + "browser");
    } catch {
      id = null;
    }
    if (id && /^[A-Za-z0-9_-]{16,64}$/.test(id)) return id;
    var random = new Uint8Array(18);
    window.crypto.getRandomValues(random);
    id = toBase64url(random);
    try {
      localStorage.setItem(PUSH_STORE + "browser", id);
    } catch {
      /* no storage: a fresh id each time, still linked by login */
    }
    return id;
  }

  function showPush(subscription) {
    pushButton.hidden = false;
    pushButton.disabled = false;
    if (subscription) {
      pushState.textContent = "Notifications are on for this phone.";
      pushButton.textContent = "Turn notifications off";
    } else {
      pushState.textContent = "Notifications are off for this phone. " + card.pushConsentText;
      pushButton.textContent = "Turn notifications on";
    }
    pushButton.onclick = function () {
      pushButton.disabled = true;
      (subscription ? turnOff(subscription) : turnOn())
        .then(showPush)
        .catch(function (error) {
          say(error && error.message ? error.message : "That did not work. Please try again.");
          showPush(subscription);
        });
    };
  }

  function turnOff(subscription) {
    return request("POST", "/push/unsubscribe", { endpoint: subscription.endpoint })
      .then(function (result) {
        if (!result.ok) throw new Error(errorText(result, "Notifications could not be turned off."));
        return subscription.unsubscribe();
      })
      .then(function () {
        say("Notifications are off.");
        return null;
      });
  }

  function turnOn() {
    var publicKey;
    var registration;
    return Promise.all([request("GET", "/push"), registrationPromise, Notification.requestPermission()])
      .then(function (values) {
        if (!values[0].ok || !values[0].json || !values[0].json.publicKey) throw new Error("Notifications are not available right now.");
        if (!values[1]) throw new Error("This browser cannot receive notifications from the shop.");
        if (values[2] !== "granted") throw new Error("Notifications are blocked for this site in the browser's settings.");
        publicKey = values[0].json.publicKey;
        registration = values[1];
        return navigator.serviceWorker.ready;
      })
      .then(function () {
        return registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: fromBase64url(publicKey) });
      })
      .then(function (subscription) {
        return request("POST", "/push/subscribe", {
          subscription: subscription.toJSON(),
          applicationServerKey: publicKey,
          browserId: browserId(),
          optIn: { consentText: card.pushConsentText },
        }).then(function (result) {
          if (!result.ok) throw new Error(errorText(result, "Notifications could not be turned on."));
          try {
            localStorage.setItem(PUSH_STORE + "key", publicKey);
          } catch {
            /* the storefront script finds the key again */
          }
          say("Notifications are on.");
          return subscription;
        });
      });
  }

  if (registrationPromise && "PushManager" in window && "Notification" in window) {
    registrationPromise
      .then(function (registration) {
        if (!registration) throw new Error("no worker");
        return navigator.serviceWorker.ready.then(function (ready) {
          return ready.pushManager.getSubscription();
        });
      })
      .then(showPush)
      .catch(function () {
        pushState.textContent = "Notifications cannot be set from this browser.";
      });
  } else {
    pushState.textContent = "This browser cannot receive notifications. On an iPhone, add the store to your Home Screen first.";
  }

  // --- Leaving ---
  var leaveButton = document.getElementById("card-leave");
  var leaveConfirm = document.getElementById("card-leave-confirm");
  leaveButton.onclick = function () {
    leaveConfirm.hidden = false;
  };
  document.getElementById("card-leave-yes").onclick = function (event) {
    event.target.disabled = true;
    request("POST", "/membership/leave", {})
      .then(function (result) {
        if (!result.ok) throw new Error(errorText(result, "Leaving did not work. Please try again."));
        window.location.reload();
      })
      .catch(function (error) {
        event.target.disabled = false;
        say(error.message);
      });
  };
})();
