/**
 * @module money
 * Exact prices. Prices are stored and cached as integer micro-units of the model's currency
 * per million tokens (`2.5` USD/M → 2_500_000), so that no float ever rounds a bill: the cost
 * of a request in pico-units is `tokens * microsPerMillion`, an exact integer. The admin API
 * and config speak decimal strings (numbers are accepted when they print as plain decimals).
 */

/** Up to 6 decimals (one micro-unit) and 9 integer digits keep every value below 2^53. */
const DECIMAL = /^(\d{1,9})(?:\.(\d{1,6}))?$/;

/**
 * Parses `'2.5'` or `2.5` into micro-units; undefined when the value is not a plain decimal
 * with at most six fraction digits.
 * @example parsePriceMicros('0.15') // 150000
 */
export function parsePriceMicros(value: string | number): number | undefined {
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value.trim();
  const match = DECIMAL.exec(text);
  if (!match) return undefined;
  const fraction = (match[2] ?? '').padEnd(6, '0');
  return Number(match[1]) * 1_000_000 + Number(fraction);
}

/**
 * Formats micro-units back to the shortest exact decimal string.
 * @example formatPriceMicros(2_500_000) // '2.5'
 */
export function formatPriceMicros(micros: number): string {
  const whole = Math.floor(micros / 1_000_000);
  const fraction = String(micros % 1_000_000).padStart(6, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : String(whole);
}
