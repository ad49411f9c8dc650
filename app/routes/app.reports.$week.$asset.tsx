import type { LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { requireAdmin } from "../admin-auth.server";
import { reportFile, weekParam } from "../reports/page.server";
import { getRuntime } from "../runtime.server";

/** A report's chart (PNG), or the whole report as HTML or CSV to download; only the signed-in shop's. */

const assetName = z.string().regex(/^[a-z0-9-]{1,40}\.(png|html|csv)$/);

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { shop } = await requireAdmin(request);
  const week = weekParam(params.week);
  const name = assetName.safeParse(params.asset);
  if (!week || !name.success) throw new Response("No such report file", { status: 404 });
  const file = await reportFile(getRuntime().db, shop, week, name.data);
  if (!file) throw new Response("No such report file", { status: 404 });
  const headers = new Headers({ "Content-Type": file.contentType, "Cache-Control": "private, max-age=300", "X-Content-Type-Options": "nosniff" });
  if (file.filename) headers.set("Content-Disposition", `attachment; filename="${file.filename}"`);
  const body = typeof file.body === "string" ? file.body : new Uint8Array(file.body);
  return new Response(body, { status: 200, headers });
}
