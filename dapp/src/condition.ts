// Milestone conditions (docs/oracle.md): a JSON document, format
// `milestone-escrow/condition/v1`, whose BLAKE2b-256 hash over its RFC 8785 (JCS) canonical
// form is the milestone's terms hash. The page recognises such a document, hashes it the way
// the CLI and the oracle service do (tests/condition.test.mjs compares the two), and summarises
// it. It does not validate its fields: `escrow condition show FILE` does, and so does the
// oracle service, which never attests a document it refuses.
import { blake2AsHex } from 'dedot/utils';

export const CONDITION_FORMAT = 'milestone-escrow/condition/v1';

export interface Condition {
  format: typeof CONDITION_FORMAT;
  description?: string;
  transportDocumentReference: string;
  events: Record<string, string>[];
  notBefore?: string;
  notAfter?: string;
}

/** RFC 8785: keys sorted by UTF-16 code units, no whitespace, strings as ECMAScript writes them. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    return `{${Object.keys(object)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(object[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The document, if `text` is a condition document; `undefined` for any other file. */
export function parseCondition(text: string): Condition | undefined {
  try {
    const value = JSON.parse(text);
    return value?.format === CONDITION_FORMAT ? (value as Condition) : undefined;
  } catch {
    return undefined;
  }
}

export function conditionHash(condition: Condition): `0x${string}` {
  return blake2AsHex(new TextEncoder().encode(canonical(condition)), 256);
}

/** One line: what must happen, to which transport document, when. */
export function summary(condition: Condition): string {
  const events = (condition.events ?? []).map((e) => {
    const code = e.equipmentEventTypeCode ?? e.transportEventTypeCode ?? e.shipmentEventTypeCode ?? '?';
    const where = e.location ? ` at ${e.location}` : '';
    const what = e.documentTypeCode
      ? ` (${e.documentTypeCode})`
      : e.equipmentReference
        ? ` of container ${e.equipmentReference}`
        : '';
    return `${e.eventType} ${code}${what}${where}`;
  });
  const window =
    condition.notBefore || condition.notAfter
      ? `, from ${condition.notBefore ?? 'any time'} to ${condition.notAfter ?? 'any time'}`
      : '';
  return `${events.join(' and ')} for ${condition.transportDocumentReference}${window}`;
}
