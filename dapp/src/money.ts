// Amounts and times as people write them and as the chain counts them: amounts exact, in
// bigint, no floating point; times in UTC milliseconds. Pure functions, unit-tested in
// tests/unit.test.mjs.

/** `1234500000000n` with 12 decimals → `1.2345`; exact, no floating point. */
export function formatAmount(amount: bigint, decimals: number): string {
  const negative = amount < 0n;
  const digits = (negative ? -amount : amount).toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const fraction = digits.slice(digits.length - decimals).replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** `"1,234.5"` with 12 decimals → `1234500000000n`; a clear error for anything else. */
export function parseAmount(text: string, decimals: number): bigint {
  const clean = text.replace(/[,_\s]/g, '');
  const match = /^(\d+)(?:\.(\d*))?$/.exec(clean);
  if (!match) throw new Error(`"${text}" is not an amount (digits, with an optional decimal point)`);
  const fraction = match[2] ?? '';
  if (fraction.length > decimals) {
    throw new Error(`"${text}" has ${fraction.length} decimals; this asset has ${decimals}`);
  }
  return BigInt(match[1]) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0');
}

/** Splits `total` by percentages that sum to 100; the last milestone takes the rounding. */
export function splitTotal(total: bigint, percents: number[]): bigint[] {
  const sum = percents.reduce((a, b) => a + b, 0);
  if (!percents.length || percents.some((p) => !Number.isInteger(p) || p <= 0)) {
    throw new Error('split: whole, positive percentages, e.g. 30,40,30');
  }
  if (sum !== 100) throw new Error(`split: the percentages sum to ${sum}, not 100`);
  const amounts = percents.map((p) => (total * BigInt(p)) / 100n);
  amounts[amounts.length - 1] += total - amounts.reduce((a, b) => a + b, 0n);
  return amounts;
}

/** A date and time, in UTC unless it names its zone (`2099-01-31T12:00`, a
 * `datetime-local` input's value, or `2099-01-31T12:00:00Z`) → milliseconds since the epoch. */
export function parseUtc(text: string, what: string): bigint {
  const t = text.trim();
  const zoned = /(Z|[+-]\d\d:\d\d)$/i.test(t);
  const ms = /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(t) ? Date.parse(zoned ? t : `${t}Z`) : NaN;
  if (Number.isNaN(ms)) throw new Error(`${what}: "${text}" is not a date and time (UTC, e.g. 2099-01-31T12:00:00Z)`);
  return BigInt(ms);
}
