import { Session } from "@shopify/shopify-api";
import type { SessionStorage } from "@shopify/shopify-app-session-storage";
import type { Database } from "./prisma.server";
import type { Session as SessionRow } from "./generated/client";

/**
 * Shopify sessions in PostgreSQL through Prisma 7. Shopify's own Prisma
 * storage targets Prisma 6; this is the same contract on our client. The
 * database is resolved per call so the storage can be created before the
 * database is open (the Shopify app object is built at import time).
 */
export class PrismaSessionStorage implements SessionStorage {
  constructor(private readonly db: () => Database) {}

  async storeSession(session: Session): Promise<boolean> {
    const row = toRow(session);
    await this.db().session.upsert({ where: { id: session.id }, create: row, update: row });
    return true;
  }

  async loadSession(id: string): Promise<Session | undefined> {
    const row = await this.db().session.findUnique({ where: { id } });
    return row ? toSession(row) : undefined;
  }

  async deleteSession(id: string): Promise<boolean> {
    await this.db().session.deleteMany({ where: { id } });
    return true;
  }

  async deleteSessions(ids: string[]): Promise<boolean> {
    await this.db().session.deleteMany({ where: { id: { in: ids } } });
    return true;
  }

  async findSessionsByShop(shop: string): Promise<Session[]> {
    const rows = await this.db().session.findMany({ where: { shop }, take: 25, orderBy: { expires: "desc" } });
    return rows.map(toSession);
  }
}

type SessionFields = Omit<SessionRow, "createdAt" | "updatedAt">;

function toRow(session: Session): SessionFields {
  const user = session.onlineAccessInfo?.associated_user;
  return {
    id: session.id,
    shop: session.shop,
    state: session.state,
    isOnline: session.isOnline,
    scope: session.scope ?? null,
    expires: session.expires ?? null,
    accessToken: session.accessToken ?? "",
    refreshToken: session.refreshToken ?? null,
    refreshTokenExpires: session.refreshTokenExpires ?? null,
    userId: user?.id === undefined ? null : BigInt(user.id),
    firstName: user?.first_name ?? null,
    lastName: user?.last_name ?? null,
    email: user?.email ?? null,
    accountOwner: user?.account_owner ?? false,
    locale: user?.locale ?? null,
    collaborator: user?.collaborator ?? false,
    emailVerified: user?.email_verified ?? false,
  };
}

function toSession(row: SessionRow): Session {
  const session = new Session({
    id: row.id,
    shop: row.shop,
    state: row.state,
    isOnline: row.isOnline,
    scope: row.scope ?? undefined,
    expires: row.expires ?? undefined,
    accessToken: row.accessToken,
    refreshToken: row.refreshToken ?? undefined,
    refreshTokenExpires: row.refreshTokenExpires ?? undefined,
  });
  if (row.isOnline && row.userId !== null) {
    session.onlineAccessInfo = {
      expires_in: 0,
      associated_user_scope: row.scope ?? "",
      associated_user: {
        id: Number(row.userId),
        first_name: row.firstName ?? "",
        last_name: row.lastName ?? "",
        email: row.email ?? "",
        account_owner: row.accountOwner,
        locale: row.locale ?? "",
        collaborator: row.collaborator ?? false,
        email_verified: row.emailVerified ?? false,
      },
    };
  }
  return session;
}
