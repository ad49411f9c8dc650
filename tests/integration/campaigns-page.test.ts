import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCampaign } from "../../app/campaigns/campaigns.server";
import { DEMO_SHOP } from "../../app/shops/demo.server";
import { registerInstall } from "../../app/shops/shops.server";
import { spawnApp, type AppProcess } from "../support/app-process";
import { createSegment, insertMembers, insertOrder, reachableMember } from "../support/campaign-fixtures";
import { startTestStack, stackKinds, type TestStack } from "../support/stacks";

/** The admin's campaign pages, served by the running app (the demo's shop), show the results with their interval. */

const kind = stackKinds()[0];

describe.runIf(kind)("campaign pages in the admin", () => {
  let stack: TestStack;
  let app: AppProcess;
  let origin: string;

  beforeAll(async () => {
    if (!kind) return;
    stack = await startTestStack(kind);
    const db = stack.runtime.db;
    await registerInstall(db, { domain: DEMO_SHOP, name: "Demo Cafe", timezone: "Europe/London", currency: "GBP", isDemo: true });
    await createSegment(db, DEMO_SHOP, "due-to-return");
    const sentAt = new Date("2026-03-10T07:45:00Z");
    const ids = Array.from({ length: 30 }, (_, i) => String(6_800_000_000_100 + i));
    await insertMembers(db, DEMO_SHOP, ids.map((id) => reachableMember(id)), sentAt);
    await createCampaign(
      db,
      DEMO_SHOP,
      {
        name: "Thursday tasting",
        kind: "segment-entry",
        segmentId: "due-to-return",
        variants: [{ id: "a", title: "Oat latte tasting", body: "On us at the counter.", weight: 1 }],
        offer: { type: "tasting", link: "/pages/tasting" },
      },
      { id: "tasting" },
    );
    await db.campaign.update({ where: { shop_id: { shop: DEMO_SHOP, id: "tasting" } }, data: { status: "active" } });
    for (const [index, id] of ids.entries()) {
      const treated = index < 20;
      await db.campaignRecipient.create({
        data: { shop: DEMO_SHOP, campaignId: "tasting", customerId: id, arm: treated ? "treatment" : "holdout", variantId: treated ? "a" : null, status: treated ? "sent" : "skipped", skipReason: treated ? null : "holdout", scheduledFor: sentAt },
      });
      if (index < 8 || index === 20) await insertOrder(db, DEMO_SHOP, { id: String(9_000 + index), customerId: id, at: new Date(sentAt.getTime() + 5 * 3_600_000), total: 5 });
    }
    // Another shop's campaign, which the demo shop's admin must not see.
    await registerInstall(db, { domain: "south-cafe.myshopify.com" });
    await createSegment(db, "south-cafe.myshopify.com", "due-to-return");
    await createCampaign(
      db,
      "south-cafe.myshopify.com",
      { name: "Elsewhere", kind: "segment-entry", segmentId: "due-to-return", variants: [{ id: "a", title: "Hi", body: "Hi" }], offer: { type: "tasting", link: "/" } },
      { id: "elsewhere" },
    );
    app = spawnApp({ DEMO: "1", ROLE: "web", DATABASE_URL: stack.runtime.database.url });
    origin = await app.ready;
  }, 180_000);

  afterAll(async () => {
    await app?.stop("SIGINT");
    await stack?.stop();
  });

  const page = async (path: string) => {
    const response = await fetch(`${origin}${path}`);
    return { status: response.status, html: (await response.text()).replace(/<!-- -->/g, "") };
  };

  it("lists the shop's campaigns with links to their results", async () => {
    const { status, html } = await page("/app/campaigns");
    expect(status).toBe(200);
    expect(html).toContain('href="/app/campaigns/tasting"');
    expect(html).toContain("Thursday tasting");
  });

  it("shows the uplift with its interval and the members still needed", async () => {
    const { status, html } = await page("/app/campaigns/tasting");
    expect(status).toBe(200);
    expect(html).toContain("Inconclusive: +30.0 points (95 % CI −5.4 points to +52.9 points, p = 0.091); the interval includes zero.");
    expect(html).toContain("about 32 recipients per arm (22 more)");
    expect(html).toContain("21.9–61.3 %");
    expect(html).toContain("30 members decided: 20 to invite, 10 held out.");
  });

  it("answers 404 for another shop's or an unknown campaign", async () => {
    expect((await page("/app/campaigns/nope")).status).toBe(404);
    expect((await page("/app/campaigns/elsewhere")).status).toBe(404);
    expect((await page("/app/campaigns")).html).not.toContain("Elsewhere");
    expect((await page("/app/campaigns/not%20an%20id")).status).toBe(404);
  });
});
