import type { ImportColumn, ImportHeader } from "./csv-header";
import { parseChannel, parseCurrency, parseCustomerId, parseEmail, parseIdentifier, parseItems, parseTotal } from "./csv-fields";
import { parseOrderedAt } from "./local-time";
import type { FieldResult, ImportRow, RowError, ShopContext } from "./types";

const FUTURE_TOLERANCE_MS = 86_400_000;

export type RowResult = { ok: true; row: ImportRow } | { ok: false; errors: RowError[] };

/** True for a line of empty cells (`,,,,`), which spreadsheets leave at the end of a sheet. */
export function isBlankRecord(fields: string[]): boolean {
  return fields.every((field) => field.trim() === "");
}

/** Validates one data row; every problem in the row is reported, each with its column. */
export function parseRow(fields: string[], header: ImportHeader, line: number, shop: ShopContext): RowResult {
  if (fields.length !== header.width) {
    const message =
      `has ${fields.length} value${fields.length === 1 ? "" : "s"} but the header has ${header.width} columns` +
      " (a value containing a comma must be in double quotes)";
    return { ok: false, errors: [{ line, column: null, message }] };
  }
  const errors: RowError[] = [];
  const cell = (column: ImportColumn): string => {
    const position = header.positions[column];
    return position === undefined ? "" : (fields[position] ?? "").trim();
  };
  function check<T>(column: ImportColumn, result: FieldResult<T>): T | undefined {
    if (result.ok) return result.value;
    errors.push({ line, column, message: `${column} ${result.message}` });
    return undefined;
  }
  const optional = <T>(column: ImportColumn, parse: (text: string) => FieldResult<T>): T | null | undefined => {
    const text = cell(column);
    return text === "" ? null : check(column, parse(text));
  };

  const givenOrderId = optional("order_id", parseIdentifier);
  const customerId = optional("customer_id", parseCustomerId);
  const orderedAt = orderedAtOf(cell("ordered_at"), shop, (result) => check("ordered_at", result));
  const total = check("total", parseTotal(cell("total")));
  const currency = check("currency", parseCurrency(cell("currency"), shop.currency));
  const locationId = optional("location", parseIdentifier);
  const channel = check("channel", parseChannel(cell("channel")));
  const email = optional("email", parseEmail);
  const items = optional("items", parseItems);
  if (email && customerId === null) {
    errors.push({ line, column: "email", message: "email needs a customer_id on the same row (a guest order has no customer to hold it)" });
  }

  if (
    errors.length > 0 ||
    givenOrderId === undefined ||
    customerId === undefined ||
    orderedAt === undefined ||
    total === undefined ||
    currency === undefined ||
    locationId === undefined ||
    channel === undefined ||
    email === undefined ||
    items === undefined
  ) {
    return { ok: false, errors };
  }
  return {
    ok: true,
    row: { line, givenOrderId, customerId, orderedAt, total, currency, locationId, channel, email, items: items ?? [] },
  };
}

function orderedAtOf(text: string, shop: ShopContext, check: (result: FieldResult<Date>) => Date | undefined): Date | undefined {
  if (text === "") return check({ ok: false, message: "is required, e.g. 2026-03-02T08:15:00+00:00" });
  const parsed = parseOrderedAt(text, shop.timezone);
  if (!parsed.ok) return check(parsed);
  const at = parsed.value.at;
  if (at.getTime() > shop.now.getTime() + FUTURE_TOLERANCE_MS) {
    return check({ ok: false, message: `is in the future (got "${text}")` });
  }
  return check({ ok: true, value: at });
}
