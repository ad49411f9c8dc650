import { z } from "zod";
import type { Database } from "../db/prisma.server";
import { recordAudit } from "../audit/audit.server";
import { decideMerge, mergeIdSchema } from "./decide.server";
import { proposeMerges } from "./propose.server";

/** The merges page's form: look for duplicates now, or decide one proposal. */
const mergeForm = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("propose") }),
  z.object({ intent: z.enum(["confirm", "reject", "undo"], { error: "intent must be propose, confirm, reject or undo" }), mergeId: mergeIdSchema }),
], { error: "intent must be propose, confirm, reject or undo" });

export type MergeActionResult = { ok: true; message: string } | { ok: false; status: 400 | 404 | 409 | 422; message: string };

export async function submitMergeAction(db: Database, shop: string, actor: string, form: FormData): Promise<MergeActionResult> {
  const parsed = mergeForm.safeParse(Object.fromEntries([...form.entries()].filter(([, value]) => typeof value === "string")));
  if (!parsed.success) return { ok: false, status: 400, message: parsed.error.issues[0]?.message ?? "invalid form" };
  const input = parsed.data;
  if (input.intent === "propose") {
    const result = await proposeMerges(db, shop);
    await recordAudit(db, { shop, actor, action: "merge.propose", details: { proposed: result.proposed, known: result.known } });
    const phones = result.phoneCountry === null ? " Phone numbers written without a country code were not compared (no country known for this shop)." : "";
    return {
      ok: true,
      message: `${result.proposed === 0 ? "No new possible duplicates" : `${result.proposed} new possible duplicate${result.proposed === 1 ? "" : "s"}`} found.${phones}`,
    };
  }
  const outcome = await decideMerge(db, shop, { mergeId: input.mergeId, decision: input.intent, actor });
  if (!outcome.ok) return outcome;
  const moved = outcome.recomputed ? ` Visits and member details of ${outcome.recomputed.members} customers were recomputed.` : "";
  return { ok: true, message: `Merge ${outcome.status}.${moved}` };
}
