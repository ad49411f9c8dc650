import type { ActionFunctionArgs } from "@remix-run/node";
import { requireAdmin } from "../admin-auth.server";
import { countDefinition } from "../analytics/segments/pages.server";
import { getRuntime } from "../runtime.server";

/**
 * The builder's live count: POST `definition` (JSON text); the members it
 * matches today, or why it is not valid. An invalid definition is an answer
 * (`ok: false` with its messages), not a failed request: the builder asks
 * while the owner is still typing.
 */
export async function action({ request }: ActionFunctionArgs) {
  const { shop } = await requireAdmin(request);
  const form = await request.formData();
  return countDefinition(getRuntime().db, shop, form.get("definition"));
}

export async function loader() {
  throw new Response("POST a definition to count its members", { status: 405, headers: { Allow: "POST" } });
}
