import fc from "fast-check";
import { Prisma } from "../../app/db/generated/client";
import type { Database } from "../../app/db/prisma.server";
import { INJECTIONS } from "./segment-arbitraries";

/**
 * Inputs an attacker, a broken spreadsheet or a confused integration sends:
 * shared by the hostile-input suites (issue 8). Each generator mixes plausible
 * values (so some inputs get far into the code) with the nasty ones.
 */

/** Text that has hurt real systems: SQL, spreadsheet formulas, markup, odd Unicode, control characters. */
export const NASTY_STRINGS = [
  ...INJECTIONS,
  "=HYPERLINK(\"http://evil.example\",\"click\")",
  "=cmd|' /C calc'!A0",
  "+SUM(1+1)*cmd|' /C calc'!A0",
  "-2+3",
  "@SUM(1+1)",
  "<script>alert(1)</script>",
  "\"><img src=x onerror=alert(1)>",
  "{{constructor.constructor('return process')()}}",
  "${process.exit(1)}",
  "../../../../etc/passwd",
  "__proto__",
  "constructor",
  "prototype",
  "\u0000",
  "a\u0000b",
  "\uFEFF",
  "\u202Eevil",
  "\uD800",
  "\r\n",
  "\t",
  "",
  " ",
  "null",
  "undefined",
  "NaN",
  "-1",
  "1e309",
  "9".repeat(40),
  "x".repeat(5_000),
];

export const nastyString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 20 }) },
);

/** Keys that pollute prototypes when copied naively, and keys no schema expects. */
export const NASTY_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf", "", " ", "$where", "field\u0000"];
export const nastyKey = fc.oneof(fc.constantFrom(...NASTY_KEYS), fc.string({ maxLength: 12 }));

export const nastyNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -0, -1, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, Number.MIN_VALUE, 2 ** 31, -(2 ** 31) - 1),
);

/** Any JSON value (as JSON.parse could return), with nasty strings, numbers and keys. */
export const { json: hostileJson } = fc.letrec<{ json: unknown }>((tie) => ({
  json: fc.oneof(
    { depthSize: "small", maxDepth: 5 },
    nastyString,
    nastyNumber.filter(Number.isFinite),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("json"), { maxLength: 5 }),
    fc.dictionary(nastyKey, tie("json"), { maxKeys: 5 }),
  ),
}));

/** JSON nested far deeper than any real document ({"a":{"a":…}} or [[[…]]]). */
export const deepJson = fc.tuple(fc.integer({ min: 20, max: 600 }), fc.boolean(), nastyKey).map(([depth, asArray, key]) => {
  let value: unknown = "bottom";
  for (let i = 0; i < depth; i++) value = asArray ? [value] : { [key]: value };
  return value;
});

/** A JSON document as text with a `__proto__` key that JSON.parse keeps as an own property. */
export function withProtoKey(value: Record<string, unknown>, polluted: unknown): unknown {
  const copy = { ...value };
  Object.defineProperty(copy, "__proto__", { value: polluted, enumerable: true, writable: true, configurable: true });
  return JSON.parse(JSON.stringify(copy));
}

/**
 * Puts `junk` somewhere inside a valid document: replaces a value, adds a key
 * or drops one, at a node chosen by `pick`. Most results are broken in one place only.
 */
export function mutateJson(valid: unknown, junk: unknown, key: string, pick: number, how: "replace" | "addKey" | "dropKey"): unknown {
  const copy: unknown = structuredClone(valid);
  const objects: Array<Record<string, unknown>> = [];
  const collect = (node: unknown) => {
    if (node && typeof node === "object") {
      if (isRecord(node)) objects.push(node);
      for (const child of Object.values(node)) collect(child);
    }
  };
  collect(copy);
  const target = objects[pick % Math.max(objects.length, 1)];
  if (!target) return copy;
  const keys = Object.keys(target);
  const chosen = keys[pick % Math.max(keys.length, 1)];
  if (how === "addKey") Object.defineProperty(target, key, { value: junk, enumerable: true, writable: true, configurable: true });
  else if (how === "dropKey" && chosen !== undefined) delete target[chosen];
  else if (chosen !== undefined) target[chosen] = junk;
  return copy;
}

export const mutation = fc.record({
  junk: hostileJson,
  key: nastyKey,
  pick: fc.nat(),
  how: fc.constantFrom("replace" as const, "addKey" as const, "dropKey" as const),
});

/** Asserts nothing leaked onto Object.prototype (a `__proto__` key merged naively would). */
export function assertPrototypeClean(): void {
  const probe: Record<string, unknown> = {};
  for (const key of ["polluted", "field", "op", "value", "admin", "isAdmin", "status"]) {
    if (key in probe) throw new Error(`Object.prototype was polluted with "${key}"`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Every table's row count and the digest of the member features: what "nothing unexpected is stored" compares. */
export async function databaseState(db: Database): Promise<Record<string, string | number>> {
  const tables = await db.$queryRaw<Array<{ name: string }>>`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`;
  // One statement for every count: the suites take this before and after each generated input.
  const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;
  const counts = tables.map(({ name }) => `(SELECT count(*)::int FROM ${quoted(name)}) AS ${quoted(name)}`);
  const digest = `(SELECT COALESCE(md5(string_agg(f::text, ',' ORDER BY shop, "customerId")), '') FROM "MemberFeature" f) AS features`;
  const [row] = await db.$queryRaw<Array<Record<string, string | number>>>`SELECT ${Prisma.raw([...counts, digest].join(", "))}`;
  return { tables: tables.map((table) => table.name).join(","), ...row };
}
