import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Session } from "@shopify/shopify-api";
import { PrismaSessionStorage } from "../../app/db/session-storage.server";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

describe.each(stackKinds().filter((k) => k.queue === "postgres"))("Shopify session storage on $name", (kind) => {
  let stack: TestStack;
  let storage: PrismaSessionStorage;

  beforeAll(async () => {
    stack = await startTestStack(kind);
    storage = new PrismaSessionStorage(() => stack.runtime.db);
  });
  afterAll(async () => stack?.stop());

  const offline = (shop: string, token = "shpat_1") =>
    new Session({ id: `offline_${shop}`, shop, state: "s", isOnline: false, scope: "read_orders", accessToken: token });

  it("stores, loads, updates and deletes an offline session", async () => {
    const session = offline("north-cafe.myshopify.com");
    session.refreshToken = "shprt_1";
    session.refreshTokenExpires = new Date("2027-01-01T00:00:00Z");
    session.expires = new Date("2026-12-01T00:00:00Z");
    expect(await storage.storeSession(session)).toBe(true);
    const loaded = await storage.loadSession(session.id);
    expect(loaded?.toObject()).toEqual(session.toObject());

    expect(await storage.storeSession(offline("north-cafe.myshopify.com", "shpat_2"))).toBe(true);
    expect((await storage.loadSession(session.id))?.accessToken).toBe("shpat_2");

    expect(await storage.deleteSession(session.id)).toBe(true);
    expect(await storage.loadSession(session.id)).toBeUndefined();
    expect(await storage.deleteSession(session.id)).toBe(true);
  });

  it("round-trips an online session's user", async () => {
    const session = new Session({
      id: "north-cafe.myshopify.com_42",
      shop: "north-cafe.myshopify.com",
      state: "s",
      isOnline: true,
      scope: "read_orders",
      accessToken: "shpua_1",
      expires: new Date("2026-12-01T00:00:00Z"),
      onlineAccessInfo: {
        expires_in: 0,
        associated_user_scope: "read_orders",
        associated_user: {
          id: 42,
          first_name: "Ada",
          last_name: "Barista",
          email: "ada@example.com",
          account_owner: false,
          locale: "en",
          collaborator: false,
          email_verified: true,
        },
      },
    });
    await storage.storeSession(session);
    const loaded = await storage.loadSession(session.id);
    expect(loaded?.onlineAccessInfo?.associated_user).toEqual(session.onlineAccessInfo?.associated_user);
  });

  it("finds sessions by shop without returning another shop's", async () => {
    await storage.storeSession(offline("east-cafe.myshopify.com"));
    await storage.storeSession(offline("west-cafe.myshopify.com"));
    const found = await storage.findSessionsByShop("east-cafe.myshopify.com");
    expect(found.map((s) => s.shop)).toEqual(["east-cafe.myshopify.com"]);
    await storage.deleteSessions(["offline_east-cafe.myshopify.com", "offline_west-cafe.myshopify.com"]);
    expect(await storage.findSessionsByShop("west-cafe.myshopify.com")).toEqual([]);
  });
});
