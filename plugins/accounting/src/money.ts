/**
 * @module money
 * Exact money. Every amount is an integer number of micro-units of its currency (1e-6), and
 * prices are integer micro-units per million tokens (routing's `inputMicrosPerMillion`), so a
 * cost is `ceil((tokensIn × inPrice + tokensOut × outPrice) / 1e6)` micro-units — computed in
 * BigInt so no intermediate product is ever rounded, and rounded up so that a gateway never
 * under-charges by a fraction.
 */
import { formatPriceMicros, parsePriceMicros } from '@scaigrid/plugin-routing';

export interface TokenPrices {
  inputMicrosPerMillion: number;
  outputMicrosPerMillion: number;
}

const MILLION = 1_000_000n;

/**
 * @example costMicros(1500, 200, { inputMicrosPerMillion: 150_000, outputMicrosPerMillion: 600_000 }) // 345
 */
export function costMicros(tokensIn: number, tokensOut: number, prices: TokenPrices): number {
  const pico = BigInt(Math.max(0, Math.ceil(tokensIn))) * BigInt(prices.inputMicrosPerMillion) + BigInt(Math.max(0, Math.ceil(tokensOut))) * BigInt(prices.outputMicrosPerMillion);
  const micros = (pico + MILLION - 1n) / MILLION;
  if (micros > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`Cost ${micros} micro-units is beyond exact integer range.`);
  return Number(micros);
}

/** `"12.5"`, `12.5` → 12_500_000; undefined when not a plain decimal with ≤ 6 fraction digits. */
export function parseAmountMicros(value: string | number): number | undefined {
  return parsePriceMicros(value);
}

/** 12_500_000 → `"12.5"`. */
export function formatAmount(micros: number): string {
  return micros < 0 ? `-${formatPriceMicros(-micros)}` : formatPriceMicros(micros);
}
