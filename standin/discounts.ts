/**
 * Code discounts the stand-in keeps per shop (`discountCodeBasicCreate`),
 * with the checks Shopify makes before creating one: a title, a code unique
 * in the shop (case-insensitively), a start, an end after the start, a
 * percentage between 0 and 1, buyers named (`context`, or the deprecated
 * `customerSelection`) who exist, and a positive usage limit. Errors come
 * back as Shopify's DiscountUserError (field path, code, message).
 */

export interface CodeDiscount {
  id: string;
  title: string;
  code: string;
  startsAt: string;
  endsAt: string | null;
  /** Customer gids allowed to use it; null = every buyer. */
  customerIds: string[] | null;
  /** Share off, 0 < p ≤ 1 (percentage discounts only, which is what the app creates). */
  percentage: number;
  appliesOncePerCustomer: boolean;
  usageLimit: number | null;
  createdAt: string;
}

export interface CodeDiscountInput {
  title: string | null;
  code: string | null;
  startsAt: string | null;
  endsAt: string | null;
  /** null when neither context nor customerSelection was given. */
  buyers: { all: true } | { customerIds: string[] } | null;
  percentage: number | null;
  appliesOncePerCustomer: boolean;
  usageLimit: number | null;
}

export interface DiscountUserError {
  field: string[];
  code: string;
  message: string;
}

const MAX_CODE_CHARS = 255;

export function validateCodeDiscount(
  input: CodeDiscountInput,
  known: { codeTaken: (code: string) => boolean; customerExists: (id: string) => boolean },
): DiscountUserError[] {
  const errors: DiscountUserError[] = [];
  const fail = (field: string[], code: string, message: string) => errors.push({ field: ["basicCodeDiscount", ...field], code, message });
  if (!input.title?.trim()) fail(["title"], "BLANK", "Title can't be blank");
  const code = input.code?.trim() ?? "";
  if (code === "") fail(["code"], "BLANK", "Code can't be blank");
  else if (code.length > MAX_CODE_CHARS) fail(["code"], "TOO_LONG", `Code is too long (maximum is ${MAX_CODE_CHARS} characters)`);
  else if (/[\r\n]/.test(code)) fail(["code"], "INVALID", "Code cannot contain newline characters.");
  else if (known.codeTaken(code)) fail(["code"], "TAKEN", "Code must be unique. Please try a different code.");
  const startsAt = input.startsAt === null ? Number.NaN : Date.parse(input.startsAt);
  if (input.startsAt === null) fail(["startsAt"], "BLANK", "Starts at can't be blank");
  else if (Number.isNaN(startsAt)) fail(["startsAt"], "INVALID", "Starts at is invalid");
  if (input.endsAt !== null) {
    const endsAt = Date.parse(input.endsAt);
    if (Number.isNaN(endsAt)) fail(["endsAt"], "INVALID", "Ends at is invalid");
    else if (!Number.isNaN(startsAt) && endsAt <= startsAt) fail(["endsAt"], "END_DATE_BEFORE_START_DATE", "Ends at needs to be after starts_at");
  }
  if (input.buyers === null) fail(["context"], "BLANK", "Context can't be blank");
  else if ("customerIds" in input.buyers) {
    if (input.buyers.customerIds.length === 0) fail(["context", "customers", "add"], "BLANK", "Customers can't be blank");
    input.buyers.customerIds.forEach((id, index) => {
      if (!known.customerExists(id)) fail(["context", "customers", "add", String(index)], "INVALID", `Customer ${id} does not exist`);
    });
  }
  if (input.percentage === null) fail(["customerGets", "value"], "BLANK", "Value can't be blank");
  else if (!(input.percentage > 0 && input.percentage <= 1)) fail(["customerGets", "value", "percentage"], "VALUE_OUTSIDE_RANGE", "Value must be between 0.0 and 1.0");
  if (input.usageLimit !== null && !(Number.isInteger(input.usageLimit) && input.usageLimit > 0)) fail(["usageLimit"], "GREATER_THAN", "Usage limit must be greater than 0");
  return errors;
}

/** ACTIVE, SCHEDULED or EXPIRED at `now`, as Shopify's DiscountStatus. */
export function discountStatus(discount: CodeDiscount, now: Date): "ACTIVE" | "SCHEDULED" | "EXPIRED" {
  if (Date.parse(discount.startsAt) > now.getTime()) return "SCHEDULED";
  if (discount.endsAt !== null && Date.parse(discount.endsAt) <= now.getTime()) return "EXPIRED";
  return "ACTIVE";
}
