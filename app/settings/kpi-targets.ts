import { KPI_DEFINITIONS, KPI_IDS, type KpiId, type KpiTargets } from "../reports/kpis";

/**
 * The Home page's KPI form: for each KPI whether to show it and its target
 * as the owner types it (shares in per cent, money in the shop's currency).
 * The result goes through the reports' own schema (kpiTargetsSchema) before
 * it is stored.
 */

export type KpiTargetsForm = { ok: true; targets: KpiTargets } | { ok: false; message: string };

/** Reads `show.<kpi>` ("on") and `target.<kpi>` fields. */
export function parseKpiTargetsForm(form: { get(name: string): unknown }): KpiTargetsForm {
  const targets: Array<{ kpi: KpiId; target: number | null }> = [];
  for (const kpi of KPI_IDS) {
    if (form.get(`show.${kpi}`) !== "on") continue;
    const raw = form.get(`target.${kpi}`);
    const text = typeof raw === "string" ? raw.trim() : "";
    const definition = KPI_DEFINITIONS[kpi];
    if (text === "") {
      targets.push({ kpi, target: null });
      continue;
    }
    if (!/^-?\d{1,9}(\.\d{1,4})?$/.test(text)) return { ok: false, message: `The target of ${definition.label} must be a number${definition.unit === "share" ? " of per cent (0–100)" : ""} (got ${JSON.stringify(text.slice(0, 20))}).` };
    const value = Number(text);
    if (definition.unit === "share" && (value < 0 || value > 100)) return { ok: false, message: `The target of ${definition.label} is a share: 0 to 100 % (got ${text}).` };
    if (value < 0) return { ok: false, message: `The target of ${definition.label} cannot be negative (got ${text}).` };
    targets.push({ kpi, target: definition.unit === "share" ? Math.round(value * 100) / 10_000 : value });
  }
  if (targets.length === 0) return { ok: false, message: "Choose at least one KPI to show." };
  return { ok: true, targets };
}

/** A stored target as the form shows it. */
export function targetText(kpi: KpiId, target: number | null): string {
  if (target === null) return "";
  return KPI_DEFINITIONS[kpi].unit === "share" ? String(Math.round(target * 10_000) / 100) : String(target);
}
