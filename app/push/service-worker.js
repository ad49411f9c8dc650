/*
 * Regulars storefront service worker, served by the app through Shopify's app
 * proxy at /apps/regulars/sw.js. Its scope is the proxy path
 * (/apps/regulars/): it controls none of the theme's pages, only the app's
 * own pages under that path. It shows the shop's pushes and opens their
 * tracked links (docs/push.md, "The service worker and its scope"), and it
 * keeps the member card (/apps/regulars/card and its script card.js) so the
 * card opens at a counter without signal (docs/membership-card.md). Nothing
 * else is cached or intercepted.
 *
 * A push carries { v: 1, title, body, click, icon?, tag? } (RFC 8291
 * encrypted; the browser decrypts it). `click` is a signed token: a tap opens
 * <scope>push/click?t=TOKEN, which records the tap and redirects to the
 * destination the shop chose. The destination is never in the push itself.
 *
 * The card is network-first: online, the member always sees the app's
 * current answer (which replaces the kept copy, so a card that was revoked or
 * a member who logged out is not kept); offline, the last copy is served.
 */
/* global self, URL, caches, fetch */
"use strict";

/** The member card's cache; the card page also fills it on its first, uncontrolled visit. */
var CARD_CACHE = "regulars-card-v1";

self.addEventListener("install", function () {
  // Nothing to fetch ahead: take over from an older version straight away.
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

function readMessage(data) {
  if (!data) return null;
  try {
    var message = data.json();
    if (message && message.v === 1 && typeof message.title === "string" && typeof message.body === "string") return message;
  } catch {
    // Not JSON: not one of ours.
  }
  return null;
}

/** The tracked link for a push, on the storefront's own origin under the proxy path. */
function clickUrl(message) {
  var scope = self.registration.scope;
  if (typeof message.click !== "string" || message.click === "") return new URL("/", scope).href;
  return new URL("push/click?t=" + encodeURIComponent(message.click), scope).href;
}

self.addEventListener("push", function (event) {
  var message = readMessage(event.data);
  if (!message) return;
  var options = { body: message.body, data: { url: clickUrl(message) } };
  if (typeof message.icon === "string") options.icon = message.icon;
  if (typeof message.tag === "string") options.tag = message.tag;
  event.waitUntil(self.registration.showNotification(message.title, options));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var data = event.notification.data || {};
  var target = typeof data.url === "string" ? data.url : self.registration.scope;
  // Only links on the storefront's own origin are opened.
  if (new URL(target).origin !== new URL(self.registration.scope).origin) return;
  event.waitUntil(self.clients.openWindow(target));
});

/** The card page or its script, under this worker's scope. */
function isCardRequest(request) {
  if (request.method !== "GET") return false;
  var url = new URL(request.url);
  var scope = new URL(self.registration.scope);
  if (url.origin !== scope.origin) return false;
  return url.pathname === scope.pathname + "card" || url.pathname === scope.pathname + "card/" || url.pathname === scope.pathname + "card.js";
}

/** Network first; a successful answer replaces the kept copy; offline (or a failing server), the kept copy. */
function cardFromNetworkOrCache(request) {
  return fetch(request)
    .then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(CARD_CACHE).then(function (cache) {
          return cache.put(request, copy);
        });
        return response;
      }
      return caches.match(request, { ignoreSearch: true }).then(function (kept) {
        return kept || response;
      });
    })
    .catch(function (error) {
      return caches.match(request, { ignoreSearch: true }).then(function (kept) {
        if (kept) return kept;
        throw error;
      });
    });
}

self.addEventListener("fetch", function (event) {
  if (!isCardRequest(event.request)) return;
  event.respondWith(cardFromNetworkOrCache(event.request));
});
