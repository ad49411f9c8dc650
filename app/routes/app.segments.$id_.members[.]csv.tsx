import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireAdmin } from "../admin-auth.server";
import { recordAudit } from "../audit/audit.server";
import { MEMBERS_CSV_HEADER, segmentMemberValues } from "../analytics/segments/pages.server";
import { csvLine, textStream } from "../settings/csv";
import { getRuntime } from "../runtime.server";

/** A segment's current members as CSV, streamed; audited; another shop's segment answers 404. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const { shop, actor } = await requireAdmin(request);
  const db = getRuntime().db;
  const id = params.id ?? "";
  const segment = id.length > 0 && id.length <= 64 ? await db.segment.findUnique({ where: { shop_id: { shop, id } }, select: { id: true, memberCount: true } }) : null;
  if (!segment) throw new Response("No such segment", { status: 404 });
  await recordAudit(db, { shop, actor, action: "export.members", target: `segment:${segment.id}`, details: { members: segment.memberCount } });
  const segmentId = segment.id;
  async function* lines() {
    yield csvLine(MEMBERS_CSV_HEADER);
    for await (const values of segmentMemberValues(db, shop, segmentId)) yield csvLine(values);
  }
  return new Response(textStream(lines()), {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="segment-${segment.id}-members.csv"`,
      "Cache-Control": "no-store",
    },
  });
}
