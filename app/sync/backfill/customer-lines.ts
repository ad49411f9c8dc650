import { z } from "zod";
import type { SyncedCustomer } from "../types";
import { gidId, orNull, text, toDate, toDateOrNull } from "./line-fields";
import { mapLine, parseLine } from "./order-lines";

/** One customer of the customers bulk file (see CUSTOMERS_BULK_QUERY). */
const consent = { marketingState: text, marketingUpdatedAt: text };

const customerLine = z.object({
  id: z.string(),
  firstName: text,
  lastName: text,
  tags: z.array(z.string()).nullish(),
  createdAt: z.string(),
  updatedAt: z.string(),
  defaultEmailAddress: z.object({ emailAddress: text, ...consent }).nullish(),
  defaultPhoneNumber: z.object({ phoneNumber: text, ...consent }).nullish(),
});

export function parseCustomerLine(value: unknown, lineNumber: number): SyncedCustomer {
  const line = parseLine(customerLine, value, lineNumber);
  return mapLine(lineNumber, () => {
    const email = line.defaultEmailAddress ?? null;
    const phone = line.defaultPhoneNumber ?? null;
    return {
      id: gidId(line.id, "id"),
      email: orNull(email?.emailAddress),
      phone: orNull(phone?.phoneNumber),
      firstName: orNull(line.firstName),
      lastName: orNull(line.lastName),
      // GraphQL's enum spelling (SUBSCRIBED, NOT_SUBSCRIBED, …), as the Customer model documents.
      emailMarketingState: orNull(email?.marketingState),
      emailMarketingAt: toDateOrNull(email?.marketingUpdatedAt, "defaultEmailAddress.marketingUpdatedAt"),
      smsMarketingState: orNull(phone?.marketingState),
      smsMarketingAt: toDateOrNull(phone?.marketingUpdatedAt, "defaultPhoneNumber.marketingUpdatedAt"),
      tags: line.tags ?? [],
      shopifyCreatedAt: toDate(line.createdAt, "createdAt"),
      shopifyUpdatedAt: toDate(line.updatedAt, "updatedAt"),
    };
  });
}
