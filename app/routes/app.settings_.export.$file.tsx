import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireAdmin } from "../admin-auth.server";
import { recordAudit } from "../audit/audit.server";
import { textStream } from "../settings/csv";
import { isExportTable, shopJson, tableCsv } from "../settings/export.server";
import { getRuntime } from "../runtime.server";

/** The shop's data: `all.json` (every table) or `TABLE.csv` (one), streamed; audited; only ever the signed-in shop's rows. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const { shop, actor } = await requireAdmin(request);
  const db = getRuntime().db;
  const file = params.file ?? "";
  const day = new Date().toISOString().slice(0, 10);
  const stem = shop.replace(/\.myshopify\.com$/, "");
  if (file === "all.json") {
    await recordAudit(db, { shop, actor, action: "export.data", target: "all", details: { format: "json" } });
    return new Response(textStream(shopJson(db, shop)), {
      headers: { "Content-Type": "application/json; charset=utf-8", "Content-Disposition": `attachment; filename="regulars-${stem}-${day}.json"`, "Cache-Control": "no-store" },
    });
  }
  const match = /^([A-Za-z]+)\.csv$/.exec(file);
  const table = match?.[1];
  if (!table || !isExportTable(table)) throw new Response("No such export: ask for all.json or TABLE.csv with a table the Settings page lists", { status: 404 });
  await recordAudit(db, { shop, actor, action: "export.data", target: `table:${table}`, details: { format: "csv" } });
  return new Response(textStream(tableCsv(db, shop, table)), {
    headers: { "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": `attachment; filename="regulars-${stem}-${table}-${day}.csv"`, "Cache-Control": "no-store" },
  });
}
