import { createHash } from "node:crypto";
import { z } from "zod";
import type { AdminApi } from "../shopify/admin-api.server";

/**
 * A discount code per member, created through the Admin API
 * (`discountCodeBasicCreate`, scope write_discounts): usable once, by that
 * customer only, for the offer's validity. The code is derived from the
 * campaign and the member, so a retry after a crash asks for the same code
 * and Shopify's "code taken" answer means it already exists: created once.
 */

export interface DiscountRequest {
  code: string;
  customerId: string;
  percentOff: number;
  title: string;
  startsAt: Date;
  endsAt: Date;
}

export interface DiscountIssuer {
  /** Creates the code; `created` is false when it already existed (an earlier attempt). */
  issue(request: DiscountRequest): Promise<{ code: string; created: boolean }>;
}

/** Shopify refused the discount for a reason a retry cannot fix; the message carries Shopify's words. */
export class DiscountRejectedError extends Error {
  constructor(readonly code: string, detail: string) {
    super(`Shopify refused discount code ${code}: ${detail}`);
    this.name = "DiscountRejectedError";
  }
}

const CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/** "RG-" and 10 characters without look-alikes (0/O, 1/I): 50 bits, the same for a campaign and member on every run. */
export function discountCodeFor(shop: string, campaignId: string, customerId: string): string {
  const digest = createHash("sha256").update(JSON.stringify(["discount", shop, campaignId, customerId])).digest();
  let code = "RG-";
  for (let i = 0; i < 10; i++) code += CODE_ALPHABET[(digest[i] ?? 0) % CODE_ALPHABET.length];
  return code;
}

export const DISCOUNT_CODE_MUTATION = `#graphql
  mutation CampaignDiscountCode($discount: DiscountCodeBasicInput!) {
    discountCodeBasicCreate(basicCodeDiscount: $discount) {
      codeDiscountNode { id }
      userErrors { field code message }
    }
  }`;

const answer = z.object({
  discountCodeBasicCreate: z.object({
    codeDiscountNode: z.object({ id: z.string() }).nullable(),
    userErrors: z.array(z.object({ field: z.array(z.string()).nullable(), code: z.string().nullable(), message: z.string() })),
  }),
});

const NUMERIC_ID = /^[1-9][0-9]{0,19}$/;

export function adminDiscountIssuer(api: AdminApi): DiscountIssuer {
  return {
    async issue(request) {
      if (!NUMERIC_ID.test(request.customerId)) throw new DiscountRejectedError(request.code, `customer ${request.customerId} is not a Shopify customer id`);
      const data = await api.graphql(DISCOUNT_CODE_MUTATION, {
        discount: {
          title: request.title,
          code: request.code,
          startsAt: request.startsAt.toISOString(),
          endsAt: request.endsAt.toISOString(),
          context: { customers: { add: [`gid://shopify/Customer/${request.customerId}`] } },
          customerGets: { value: { percentage: request.percentOff / 100 }, items: { all: true } },
          appliesOncePerCustomer: true,
          usageLimit: 1,
        },
      });
      const parsed = answer.safeParse(data);
      if (!parsed.success) throw new Error(`unexpected answer to discountCodeBasicCreate: ${parsed.error.issues[0]?.message ?? "invalid"}`);
      const { codeDiscountNode, userErrors } = parsed.data.discountCodeBasicCreate;
      if (codeDiscountNode && userErrors.length === 0) return { code: request.code, created: true };
      const taken = userErrors.some((e) => e.code === "TAKEN" && (e.field ?? []).includes("code"));
      if (taken && userErrors.length === 1) return { code: request.code, created: false };
      throw new DiscountRejectedError(request.code, userErrors.map((e) => `${(e.field ?? []).join(".")}: ${e.message}`).join("; ") || "no code was created");
    },
  };
}
