/**
 * Metafields the stand-in keeps per shop, keyed by owner, namespace and key,
 * with Shopify's rules for writing them (metafieldsSet is all-or-nothing;
 * `$app` namespaces resolve to the calling app's reserved namespace).
 */

export interface Metafield {
  id: string;
  ownerId: string;
  namespace: string;
  key: string;
  value: string;
  type: string;
  createdAt: string;
  updatedAt: string;
}

export interface MetafieldInput {
  ownerId: string;
  namespace: string | null;
  key: string;
  value: string;
  type: string | null;
}

export interface MetafieldUserError {
  field: string[];
  message: string;
  code: string;
  elementIndex: number;
}

/** The stand-in serves one app; Shopify would use the app's numeric id here. */
export const STANDIN_APP_ID = 1;

/** `$app` → `app--<id>`, `$app:ns` → `app--<id>--ns`, no namespace → the app's own, as Shopify resolves them. */
export function resolveNamespace(namespace: string | null): string {
  if (namespace === null || namespace === "" || namespace === "$app") return `app--${STANDIN_APP_ID}`;
  if (namespace.startsWith("$app:")) return `app--${STANDIN_APP_ID}--${namespace.slice("$app:".length)}`;
  return namespace;
}

export const metafieldKey = (ownerId: string, namespace: string, key: string) => `${ownerId}|${namespace}|${key}`;

/** At most 25 metafields per metafieldsSet call. */
export const MAX_METAFIELDS_PER_SET = 25;

const KEY_PATTERN = /^[a-zA-Z0-9_-]{2,64}$/;
const SUPPORTED_TYPES = new Set(["json", "single_line_text_field", "multi_line_text_field", "boolean", "number_integer", "date_time"]);

/** The errors Shopify would report for these inputs, checked before anything is written. */
export function validateMetafieldInputs(
  inputs: MetafieldInput[],
  existing: (input: MetafieldInput) => Metafield | undefined,
  ownerExists: (ownerId: string) => boolean,
): MetafieldUserError[] {
  const errors: MetafieldUserError[] = [];
  const fail = (index: number, field: string, message: string, code: string) =>
    errors.push({ field: ["metafields", String(index), field], message, code, elementIndex: index });
  if (inputs.length > MAX_METAFIELDS_PER_SET) {
    errors.push({ field: ["metafields"], message: `Exceeded the maximum metafields input limit of ${MAX_METAFIELDS_PER_SET}.`, code: "LESS_THAN_OR_EQUAL_TO", elementIndex: 0 });
    return errors;
  }
  inputs.forEach((input, index) => {
    if (!ownerExists(input.ownerId)) return fail(index, "ownerId", "Owner does not exist.", "INVALID");
    if (!KEY_PATTERN.test(input.key)) return fail(index, "key", "Key is invalid.", "INVALID");
    const type = input.type ?? existing(input)?.type ?? null;
    if (type === null) return fail(index, "type", "Type can't be blank.", "BLANK");
    if (!SUPPORTED_TYPES.has(type)) return fail(index, "type", `Type '${type}' is not a valid type.`, "INVALID_TYPE");
    const held = existing(input);
    if (held && held.type !== type) return fail(index, "type", "Type must be the same as the existing metafield.", "INVALID_TYPE");
    if (type === "json" && !isJson(input.value)) return fail(index, "value", "Value is invalid JSON.", "INVALID_VALUE");
    return undefined;
  });
  return errors;
}

function isJson(value: string): boolean {
  try {
    JSON.parse(value);
    return true;
  } catch {
    return false;
  }
}

/** Shopify trims tags, drops empty ones and treats them case-insensitively. */
export function addTags(current: readonly string[], added: readonly string[]): string[] {
  const next = [...current];
  for (const raw of added) {
    const tag = raw.trim();
    if (tag !== "" && !next.some((held) => held.toLowerCase() === tag.toLowerCase())) next.push(tag);
  }
  return next;
}

export function removeTags(current: readonly string[], removed: readonly string[]): string[] {
  const gone = new Set(removed.map((tag) => tag.trim().toLowerCase()));
  return current.filter((tag) => !gone.has(tag.toLowerCase()));
}

export type SetMetafieldsOutcome = { ok: true; metafields: Metafield[] } | { ok: false; errors: MetafieldUserError[] };

/** metafieldsSet on one shop's metafields: validates every input, then writes all of them or none. */
export function setMetafields(
  held: Map<string, Metafield>,
  inputs: MetafieldInput[],
  options: { now: string; ownerExists: (ownerId: string) => boolean; nextId: () => number },
): SetMetafieldsOutcome {
  const resolved = inputs.map((input) => ({ ...input, namespace: resolveNamespace(input.namespace) }));
  const find = (input: MetafieldInput) => held.get(metafieldKey(input.ownerId, resolveNamespace(input.namespace), input.key));
  const errors = validateMetafieldInputs(resolved, find, options.ownerExists);
  if (errors.length > 0) return { ok: false, errors };
  const written = resolved.map((input) => {
    const previous = find(input);
    const metafield: Metafield = {
      id: previous?.id ?? `gid://shopify/Metafield/${options.nextId()}`,
      ownerId: input.ownerId,
      namespace: input.namespace,
      key: input.key,
      value: input.value,
      type: input.type ?? previous?.type ?? "json",
      createdAt: previous?.createdAt ?? options.now,
      updatedAt: options.now,
    };
    held.set(metafieldKey(metafield.ownerId, metafield.namespace, metafield.key), metafield);
    return metafield;
  });
  return { ok: true, metafields: written };
}
