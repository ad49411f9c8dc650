import type { ServerResponse } from "node:http";
import { findVariant } from "./catalog.ts";
import type { ShopState } from "./store.ts";
import type { Cart, Order } from "./types.ts";

/**
 * The checkout a Storefront cart's `checkoutUrl` leads to. Shopify's real
 * checkout takes the card; the stand-in's page shows the cart and a "Pay now"
 * button whose POST turns the cart into a paid online-store order (see
 * `StandinStore.completeCheckout`) and sends `orders/create` and
 * `orders/paid` to the addresses the shop subscribed.
 */

export const CHECKOUT_PATH = /^\/shops\/([a-z0-9][a-z0-9-]*\.myshopify\.com)\/cart\/c\/([A-Za-z0-9]+)(\/pay)?$/;

export function checkoutPath(shop: string, cart: Pick<Cart, "token" | "key">): string {
  return `/shops/${shop}/cart/c/${cart.token}?key=${cart.key}`;
}

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);

export function sendHtml(response: ServerResponse, status: number, html: string): void {
  response.writeHead(status, { "Content-Type": "text/html; charset=utf-8", "Content-Length": Buffer.byteLength(html), "Cache-Control": "no-store" });
  response.end(html);
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,"><title>${escape(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}table{width:100%;border-collapse:collapse}td{padding:.4rem 0;border-bottom:1px solid #ddd}td:last-child{text-align:right}button{font-size:1rem;padding:.7rem 1.4rem;background:#1a1a1a;color:#fff;border:0;border-radius:.4rem;cursor:pointer}.muted{color:#666}</style>
</head><body>${body}</body></html>`;
}

export function checkoutPageHtml(state: ShopState, cart: Cart, order: Order | null): string {
  const currency = state.info.currencyCode;
  const rows = cart.lines
    .map((line) => {
      const found = findVariant(state.products.values(), line.merchandiseId);
      const name = found ? (found.variant.title === "Default Title" ? found.product.title : `${found.product.title} (${found.variant.title})`) : line.merchandiseId;
      const total = found ? (Number(found.variant.price) * line.quantity).toFixed(2) : "0.00";
      return `<tr><td>${escape(name)} × ${line.quantity}</td><td>${escape(total)} ${escape(currency)}</td></tr>`;
    })
    .join("");
  const total = cart.lines.reduce((sum, line) => {
    const found = findVariant(state.products.values(), line.merchandiseId);
    return sum + (found ? Math.round(Number(found.variant.price) * 100) * line.quantity : 0);
  }, 0);
  const summary = `<table aria-label="Order summary">${rows}<tr><td><strong>Total</strong></td><td><strong>${(total / 100).toFixed(2)} ${escape(currency)}</strong></td></tr></table>`;
  if (order) {
    return page(
      `Thank you — ${state.info.name}`,
      `<h1>Thank you for your order</h1><p role="status">Order ${escape(order.name)} is confirmed and paid.</p>${summary}`,
    );
  }
  const action = `/shops/${state.info.myshopifyDomain}/cart/c/${cart.token}/pay?key=${cart.key}`;
  return page(
    `Checkout — ${state.info.name}`,
    `<h1>Checkout</h1><p class="muted">${escape(state.info.name)}${cart.buyerEmail ? ` · ${escape(cart.buyerEmail)}` : ""}</p>${summary}
<form method="post" action="${escape(action)}"><p><button type="submit">Pay now</button></p></form>`,
  );
}

export function notFoundHtml(): string {
  return page("Not found", "<h1>This checkout does not exist</h1>");
}
