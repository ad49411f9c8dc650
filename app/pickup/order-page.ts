import { MAX_QUANTITY_PER_LINE } from "./cart";
import type { OrderAheadPage } from "./order-ahead.server";

/**
 * The storefront's order-ahead page as HTML, served through the app proxy
 * (/apps/regulars/pickup). It works without JavaScript: a form that posts
 * the items and the slot to /apps/regulars/pickup/hold, which holds the slot
 * and sends the member on to Shopify's checkout. Pure: data in, text out.
 */

export interface PageMessage {
  kind: "error" | "info";
  text: string;
}

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);

function money(amount: string, currency: string): string {
  const value = Number(amount);
  try {
    return new Intl.NumberFormat("en-GB", { style: "currency", currency }).format(value);
  } catch {
    return `${value.toFixed(2)} ${currency}`;
  }
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:40rem;margin:1.5rem auto;padding:0 1rem;color:#1a1a1a;line-height:1.4}
fieldset{border:1px solid #ddd;border-radius:.5rem;margin:0 0 1rem;padding:.75rem 1rem}legend{font-weight:600;padding:0 .25rem}
.item{display:flex;justify-content:space-between;align-items:center;padding:.35rem 0;border-bottom:1px solid #eee}.item:last-child{border:0}
.item input{width:4rem;font-size:1rem}.slots{display:flex;flex-wrap:wrap;gap:.5rem}.slots label{border:1px solid #bbb;border-radius:.4rem;padding:.35rem .6rem;cursor:pointer}
.slots input{margin-right:.3rem}button{font-size:1rem;padding:.7rem 1.4rem;background:#1a1a1a;color:#fff;border:0;border-radius:.4rem;cursor:pointer}
.error{background:#fde8e8;border:1px solid #e0b4b4;padding:.6rem .8rem;border-radius:.4rem}.info{background:#eef6ee;border:1px solid #b7d7b7;padding:.6rem .8rem;border-radius:.4rem}
.muted{color:#666}`;

export interface PageContext {
  /** The proxy path the storefront shows, e.g. "/apps/regulars". */
  proxyPath: string;
  message?: PageMessage;
  /** What the member entered, to keep it when the page comes back with a message. */
  entered?: { quantities: Record<string, string>; slot: string | null };
}

export function orderAheadHtml(page: OrderAheadPage, context: PageContext): string {
  const base = context.proxyPath.replace(/\/$/, "");
  const title = `Order ahead — ${page.shopName}`;
  const parts: string[] = [`<h1>Order ahead for pickup</h1>`];
  parts.push(`<p class="muted">${page.loggedIn ? "Ordering as a member: we'll tell you when it's ready." : "Ordering as a guest. Log in first and we can tell you when it's ready."}</p>`);
  if (context.message) {
    parts.push(context.message.kind === "error" ? `<p class="error" role="alert">${escape(context.message.text)}</p>` : `<p class="info" role="status">${escape(context.message.text)}</p>`);
  }
  if (page.hold) parts.push(holdPanel(page, base));
  if (!page.location) {
    parts.push(`<p>${escape(page.shopName)} is not taking orders ahead at the moment.</p>`);
    return document(title, parts.join("\n"));
  }
  if (page.locations.length > 1) {
    const options = page.locations
      .map((location) => `<option value="${escape(location.locationId)}"${location.locationId === page.location?.locationId ? " selected" : ""}>${escape(location.name)}</option>`)
      .join("");
    parts.push(`<form method="get" action="${escape(`${base}/pickup`)}"><label>Pick up at <select name="location">${options}</select></label> <button type="submit">Show slots</button></form>`);
  } else {
    parts.push(`<p>Pick up at <strong>${escape(page.location.name)}</strong>.</p>`);
  }
  if (page.menu.length === 0 || page.slots.length === 0) {
    parts.push(`<p>${page.menu.length === 0 ? "Nothing can be ordered ahead right now." : "There are no pickup slots left to order for. Please try again later."}</p>`);
    return document(title, parts.join("\n"));
  }
  const entered = context.entered;
  const items = page.menu
    .map((item) => {
      const id = `qty-${item.variantId}`;
      const value = entered?.quantities[item.variantId] ?? "0";
      return `<div class="item"><label for="${id}">${escape(item.title)} <span class="muted">${escape(money(item.price, page.currency))}</span></label>
<input id="${id}" name="qty.${escape(item.variantId)}" type="number" inputmode="numeric" min="0" max="${MAX_QUANTITY_PER_LINE}" step="1" value="${escape(value)}"></div>`;
    })
    .join("\n");
  const firstDate = page.slots[0]?.date;
  // The slot entered (or invited to) stays chosen while it is still offered; otherwise the first.
  const chosen = page.slots.find((slot) => slot.start === entered?.slot)?.start ?? page.slots[0]?.start;
  const slots = page.slots
    .map((slot) => {
      const checked = slot.start === chosen;
      const left = slot.ordersLeft === null ? "" : ` <span class="muted">(${slot.ordersLeft} left)</span>`;
      return `<label><input type="radio" name="slot" value="${escape(slot.start)}"${checked ? " checked" : ""}>${escape(slot.label)}${left}</label>`;
    })
    .join("\n");
  parts.push(`<form method="post" action="${escape(`${base}/pickup/hold`)}">
<input type="hidden" name="location" value="${escape(page.location.locationId)}">
<fieldset><legend>What would you like?</legend>${items}${alsoLike(page)}</fieldset>
<fieldset><legend>Pickup time${firstDate ? ` (${escape(firstDate)})` : ""}</legend><div class="slots">${slots}</div></fieldset>
<p><button type="submit">Continue to payment</button></p>
<p class="muted">Your slot is held for a few minutes while you pay at checkout.</p>
</form>`);
  return document(title, parts.join("\n"));
}

/** The member's suggestions on this menu (the flywheel: recommendation → visit). */
function alsoLike(page: OrderAheadPage): string {
  const suggestions = page.suggestions ?? [];
  if (suggestions.length === 0) return "";
  const named = suggestions.map((entry) => `<strong>${escape(entry.title)}</strong>${entry.becauseOfTitle ? ` <span class="muted">(goes with your ${escape(entry.becauseOfTitle)})</span>` : ""}`);
  return `\n<p class="also-like">You might also like: ${named.join(", ")}</p>`;
}

function holdPanel(page: OrderAheadPage, base: string): string {
  const hold = page.hold;
  if (!hold) return "";
  const until = new Intl.DateTimeFormat("en-GB", { timeZone: page.timezone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date(hold.expiresAt));
  const what = hold.items.map((item) => `${item.quantity} × ${item.title}`).join(", ");
  const pay = hold.checkoutUrl ? `<a href="${escape(hold.checkoutUrl)}">Continue to payment</a> ` : "";
  return `<section class="info" aria-label="Your held slot"><p>Your ${escape(hold.slotLabel)} slot is held until ${escape(until)}: ${escape(what)}.</p>
<form method="post" action="${escape(`${base}/pickup/release`)}">${pay}<input type="hidden" name="hold" value="${escape(hold.id)}"><button type="submit">Release it</button></form></section>`;
}

function document(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,"><title>${escape(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}
