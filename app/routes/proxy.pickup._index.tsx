import type { LoaderFunctionArgs } from "@remix-run/node";
import { orderAheadPage } from "../pickup/proxy-http.server";
import { handleAppProxy, methodNotAllowed } from "../proxy/respond.server";

/**
 * GET /apps/regulars/pickup (via the app proxy): the order-ahead page for
 * members (logged_in_customer_id) and guests alike. `?location=ID` picks a
 * location; `?slot=ISO` opens on an invited slot; `?released=1` confirms a released hold.
 */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z$/;
export async function loader({ request }: LoaderFunctionArgs) {
  return handleAppProxy(request, async ({ runtime, proxy }) => {
    const url = new URL(request.url);
    const released = url.searchParams.get("released") === "1";
    // An order-ahead invitation names a slot (`?slot=` ISO time): the page opens on its day with it chosen.
    const slot = url.searchParams.get("slot");
    const preferredSlot = slot !== null && ISO_INSTANT.test(slot) && !Number.isNaN(Date.parse(slot)) ? new Date(slot) : undefined;
    return orderAheadPage(runtime, proxy, {
      locationId: url.searchParams.get("location") ?? undefined,
      ...(preferredSlot ? { preferredSlot, entered: { quantities: {}, slot: preferredSlot.toISOString() } } : {}),
      message: released ? { kind: "info", text: "Your slot is released. Choose again whenever you like." } : undefined,
    });
  });
}

export const action = () => methodNotAllowed("GET");
