import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { getRuntime } from "../runtime.server";
import { validateWebhook } from "../shopify.server";
import { receiveWebhook } from "../webhooks/intake.server";
import { requestWebhookDrain } from "../../jobs/drain.server";

/**
 * Every webhook subscription in shopify.app.toml (`/webhooks/...`; the topic is in the signed headers) lands
 * here: verify the HMAC through the Shopify library, record the delivery,
 * ask for the shop's drain, answer. The work happens in the `drain-webhooks` job.
 */
export async function action({ request }: ActionFunctionArgs) {
  const runtime = getRuntime();
  const result = await receiveWebhook(
    {
      db: runtime.db,
      validate: validateWebhook,
      requestDrain: (shop) => requestWebhookDrain(runtime.jobs, shop),
    },
    request,
  );
  const headers = new Headers({ "Content-Type": "text/plain" });
  // The rest of an oversized body is never read: the connection cannot carry another request.
  if (result.status === 413) headers.set("Connection", "close");
  return new Response(result.message, { status: result.status, headers });
}

export function loader(_args: LoaderFunctionArgs) {
  return new Response("webhooks are POSTed", { status: 405, headers: { Allow: "POST" } });
}
