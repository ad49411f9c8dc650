/*
 * Regulars storefront service worker, served by the app through Shopify's app
 * proxy at /apps/regulars/sw.js. Its scope is the proxy path
 * (/apps/regulars/): it controls no storefront page and caches nothing; it
 * only shows the shop's pushes and opens their tracked links
 * (docs/push.md, "The service worker and its scope").
 *
 * A push carries { v: 1, title, body, click, icon?, tag? } (RFC 8291
 * encrypted; the browser decrypts it). `click` is a signed token: a tap opens
 * <scope>push/click?t=TOKEN, which records the tap and redirects to the
 * destination the shop chose. The destination is never in the push itself.
 */
/* global self, URL */
"use strict";

self.addEventListener("install", function () {
  // Nothing to cache: take over from an older version straight away.
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
