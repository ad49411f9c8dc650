import type { PerkStatus } from "../perks/perks.server";
import type { CardPage } from "./card-page.server";
import { CODE_DIGITS, STEP_SECONDS } from "./totp.server";

/**
 * The member card as a page for the phone, served through the app proxy
 * (/apps/regulars/card). The code and its QR are computed in the page by
 * /apps/regulars/card.js from the card's secret, every minute, with no
 * request: the service worker keeps the last copy of the page and script, so
 * the card still opens at a counter without signal. Pure: data in, text out.
 */

export interface CardPageContext {
  /** The proxy path the storefront shows, e.g. "/apps/regulars". */
  proxyPath: string;
  shopName: string;
}

/** The words recorded as push consent when the member turns notifications on from the card. */
export const CARD_PUSH_CONSENT_TEXT = "Get notifications from the shop on this phone: tastings, member offers and when your pickup order is ready. You can turn them off here at any time.";

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);

/** JSON inside <script type="application/json">: "<" escaped so no string can close the element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, "\\u003c");

const STYLE = `body{font-family:system-ui,sans-serif;max-width:26rem;margin:0 auto;padding:1rem;color:#1a1a1a;line-height:1.4;background:#faf8f5}
h1{font-size:1.4rem;margin:.2rem 0 1rem}h2{font-size:1.05rem;margin:1.4rem 0 .4rem}
.card{background:#fff;border:1px solid #e3ded6;border-radius:1rem;padding:1rem;text-align:center;box-shadow:0 1px 3px rgba(0,0,0,.06)}
.qr{width:15rem;height:15rem;margin:0 auto}.qr svg{width:100%;height:100%}
.code{font-family:ui-monospace,monospace;font-size:1.6rem;letter-spacing:.08em;margin:.6rem 0 .2rem;font-weight:600}
.muted{color:#666;font-size:.9rem}ul{padding-left:1.1rem;margin:.3rem 0}li{margin:.3rem 0}
.ready{color:#0a6b2d;font-weight:600}button{font-size:1rem;padding:.6rem 1rem;border-radius:.4rem;border:1px solid #1a1a1a;background:#1a1a1a;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#1a1a1a}button[disabled]{opacity:.5}.setting{margin:.6rem 0}
.notice{background:#fff8e1;border:1px solid #ecd9a0;padding:.6rem .8rem;border-radius:.4rem}.stats{display:flex;justify-content:space-around;margin:.4rem 0}
.stats strong{display:block;font-size:1.3rem}`;

function perkLine(perk: PerkStatus): string {
  const what = `<strong>${escape(perk.name)}</strong>: ${escape(perk.reward)}`;
  if (perk.ready > 0) {
    const many = perk.ready === 1 ? "one is" : `${perk.ready} are`;
    return `<li>${what} — <span class="ready">${many} ready: show your card at the counter</span></li>`;
  }
  if (perk.progress) {
    const left = perk.progress.visitsToNext;
    return `<li>${what} — <span class="muted">${left} more ${left === 1 ? "visit" : "visits"} to the next one</span></li>`;
  }
  return `<li>${what}</li>`;
}

export function cardPageHtml(page: CardPage, context: CardPageContext): string {
  const base = context.proxyPath.replace(/\/$/, "");
  const title = `Member card — ${context.shopName}`;
  if (page.kind === "logged-out") {
    return document(title, `<h1>Your member card</h1><p class="notice" role="status">Log in to your account in the ${escape(context.shopName)} online store to see your member card.</p>
<p><a href="/account/login">Log in</a></p>`);
  }
  if (page.kind === "not-member") {
    const why = page.left ? "You left the membership, so your card no longer works." : "Your account is not a member yet.";
    return document(title, `<h1>Your member card</h1><p class="notice" role="status">${why} Join the membership in the online store to get a card the staff can scan at the counter.</p>
<p><a href="/">Go to the store</a></p>`);
  }
  const data = { ref: page.ref, secret: page.secret, stepSeconds: STEP_SECONDS, digits: CODE_DIGITS, base, pushConsentText: CARD_PUSH_CONSENT_TEXT };
  const perks = page.perks.length > 0 ? `<ul>${page.perks.map(perkLine).join("")}</ul>` : `<p class="muted">No perks running at the moment.</p>`;
  const body = `<h1>${page.name ? `${escape(page.name)}'s member card` : "Your member card"}</h1>
<section class="card" aria-label="Member card">
<div class="qr" id="card-qr" role="img" aria-label="QR code of your member code"></div>
<p class="code" id="card-code" aria-live="polite" aria-label="Your code">········</p>
<p class="muted" id="card-countdown">Show this at the counter. The code changes every minute.</p>
<noscript><p class="notice">The card needs JavaScript to show its code.</p></noscript>
<p class="muted" id="card-offline" hidden>You're offline: the card still works.</p>
</section>
<div class="stats"><p><strong id="card-visits">${page.visits}</strong> ${page.visits === 1 ? "visit" : "visits"}</p><p><strong>${escape(page.memberSince)}</strong> member since</p></div>
<h2>Your perks</h2>
${perks}
<h2>Settings</h2>
<div class="setting"><p id="card-push-state" class="muted">Checking notifications…</p><button type="button" class="secondary" id="card-push" hidden></button></div>
<div class="setting"><button type="button" class="secondary" id="card-leave">Leave the membership</button>
<p id="card-leave-confirm" hidden>Leaving stops your card, your perks and our notifications. <button type="button" id="card-leave-yes">Yes, leave</button></p>
<p id="card-status" role="status" aria-live="polite"></p></div>
<script type="application/json" id="card-data">${scriptJson(data)}</script>
<script src="${escape(`${base}/card.js`)}" defer></script>`;
  return document(title, body);
}

function document(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><link rel="icon" href="data:,"><title>${escape(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}
