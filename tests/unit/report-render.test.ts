import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { heatmapChart, kpiChart } from "../../app/reports/charts";
import type { WeeklyFigures } from "../../app/reports/figures";
import { countMeasure, kpiFigure, shareMeasure } from "../../app/reports/kpis";
import { csvCell, escapeHtml, inlineImages, renderReportCsv, renderReportHtml } from "../../app/reports/render";
import { Raster } from "../../app/reports/raster";

const figures: WeeklyFigures = {
  version: 1,
  shop: "north-cafe.myshopify.com",
  shopName: "North <Cafe> & Co",
  week: "2026-W09",
  previousWeek: "2026-W08",
  from: "2026-02-23",
  to: "2026-03-01",
  timezone: "Europe/London",
  currency: "GBP",
  kpis: [kpiFigure("repurchase-rate", shareMeasure(30, 100), shareMeasure(60, 100), 0.5), kpiFigure("active-members", countMeasure(100), countMeasure(104), null)],
  heatmap: {
    until: "2026-03-01",
    rows: [
      { cohort: "2026-02-16", size: 10, cells: [{ week: 0, members: 10, share: 1, partial: false }, { week: 1, members: 2, share: 0.2, partial: false }, null] },
      { cohort: "2026-02-23", size: 4, cells: [{ week: 0, members: 4, share: 1, partial: false }, null, null] },
    ],
  },
  cohorts: { returnDays: 12, until: "2026-03-01", best: null, findings: [], silence: null },
  campaigns: [
    {
      id: "c1",
      name: '=HYPERLINK("x")',
      kind: "segment-entry",
      status: "active",
      holdoutPercent: 10,
      treatment: { recipients: 90, conversions: 30, rate: 1 / 3, low: 0.24, high: 0.44 },
      holdout: { recipients: 10, conversions: 2, rate: 0.2, low: 0.05, high: 0.5 },
      uplift: { difference: 0.1333, low: -0.2, high: 0.3, pValue: 0.4, verdict: "inconclusive", summary: "Inconclusive" },
    },
  ],
  pickup: { thisWeek: [], lastWeek: [] },
  findings: [{ kind: "kpi", supported: true, sentence: "Repurchase rate rose <b>" }],
  notes: [],
};

describe("the report's HTML and CSV", () => {
  it("escapes everything the shop named", () => {
    const html = renderReportHtml(figures, (name) => `cid:${name}`);
    expect(html).toContain("North &lt;Cafe&gt; &amp; Co");
    expect(html).toContain("Repurchase rate rose &lt;b&gt;");
    expect(html).not.toContain("<b>");
    expect(html).toContain('src="cid:kpis.png"');
    expect(html).toContain('src="cid:heatmap.png"');
    expect(escapeHtml(`"'`)).toBe("&quot;&#39;");
  });

  it("writes every KPI figure at full precision, and defuses formulas", () => {
    const csv = renderReportCsv(figures);
    const lines = csv.trim().split("\r\n");
    expect(lines[0]).toBe("section,key,field,value");
    expect(lines).toContain("kpi,repurchase-rate,this_week,0.6");
    expect(lines).toContain(`kpi,repurchase-rate,this_week_low,${figures.kpis[0]?.thisWeek.low}`);
    expect(lines).toContain("kpi,repurchase-rate,trend,up");
    expect(lines).toContain("heatmap,2026-02-16,week_1,0.2");
    expect(lines).toContain(`campaign,c1,name,"'=HYPERLINK(""x"")"`);
    expect(csvCell(-0.5)).toBe("-0.5");
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell(null)).toBe("");
  });

  it("inlines the charts as data URIs for a downloaded file", () => {
    const html = renderReportHtml(figures, (name) => `cid:${name}.2026-W09@regulars`);
    const inlined = inlineImages(html, "2026-W09", [{ name: "kpis.png", contentType: "image/png", data: Buffer.from([1, 2, 3]) }]);
    expect(inlined).toContain('src="data:image/png;base64,AQID"');
    expect(inlined).toContain('src="cid:heatmap.png.2026-W09@regulars"');
  });
});

describe("charts", () => {
  it("draws the heatmap as a PNG whose cells are shaded by retention", () => {
    const chart = heatmapChart(figures.heatmap.rows, 3);
    expect(chart.data.subarray(1, 4).toString()).toBe("PNG");
    const png = PNG.sync.read(chart.data);
    const at = (x: number, y: number) => [...png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 3)];
    // Cell (row 0, week 0) is 100 %: dark; (row 0, week 1) is 20 %: light; (row 1, week 1) is absent: grey.
    const full = at(200 + 4, 64 + 4);
    const fifth = at(250 + 4, 64 + 4);
    const absent = at(250 + 4, 64 + 28 + 4);
    expect(full).toEqual([0, 91, 155]);
    expect(fifth[2]).toBeGreaterThan(full[2] ?? 0);
    expect(fifth[0]).toBeGreaterThan(150);
    expect(absent).toEqual([248, 248, 248]);
  });

  it("draws one KPI panel per KPI, with this week's bar taller when it rose", () => {
    const chart = kpiChart(figures.kpis, { last: "2026-W08", current: "2026-W09" }, "GBP");
    const png = PNG.sync.read(chart.data);
    expect(png.width).toBe(900);
    const column = (x: number) => {
      let top = -1;
      for (let y = 40; y < 230; y++) {
        const i = (y * png.width + x) * 4;
        if (png.data[i] === 0 && png.data[i + 1] === 128 && png.data[i + 2] === 96) {
          top = y;
          break;
        }
      }
      return top;
    };
    const lastTop = (() => {
      for (let y = 40; y < 230; y++) {
        const i = (y * png.width + 75) * 4;
        if (png.data[i] === 166 && png.data[i + 1] === 178 && png.data[i + 2] === 190) return y;
      }
      return -1;
    })();
    const thisTop = column(175);
    expect(lastTop).toBeGreaterThan(0);
    expect(thisTop).toBeGreaterThan(0);
    expect(thisTop).toBeLessThan(lastTop);
  });

  it("writes text with the bitmap font and refuses absurd sizes", () => {
    const raster = new Raster(40, 10);
    raster.text(0, 0, "1", [0, 0, 0]);
    // "1" has its stem in the middle column.
    expect(raster.getPixel(2, 3)).toEqual([0, 0, 0]);
    expect(raster.getPixel(0, 3)).toEqual([255, 255, 255]);
    expect(Raster.textWidth("ab")).toBe(11);
    expect(() => new Raster(0, 10)).toThrow(/1–4096 pixels/);
  });
});
