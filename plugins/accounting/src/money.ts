/**
 * @module money
 * Exact money. Every amount is an integer number of micro-units of its currency (1e-6), and
 * prices are integer micro-units per million tokens (routing's `inputMicrosPerMillion`), so a
 * cost is `ceil((tokensIn × inPrice + tokensOut × outPrice) / 1e6)` micro-units — computed so
 * that no intermediate product is ever rounded (as doubles while every figure is below 2^53,
 * where they are exact; in BigInt beyond), and rounded up so that a gateway never under-charges
 * by a fraction.
 */
import { formatPriceMicros, parsePriceMicros } from '@scaigrid/plugin-routing';

export interface TokenPrices {
  inputMicrosPerMillion: number;
  outputMicrosPerMillion: number;
}

const MILLION = 1_000_000n;
const MILLION_NUMBER = 1_000_000;

/**
 * @example costMicros(1500, 200, { inputMicrosPerMillion: 150_000, outputMicrosPerMillion: 600_000 }) // 345
 */
export function costMicros(tokensIn: number, tokensOut: number, prices: TokenPrices): number {
  const inTokens = Math.max(0, Math.ceil(tokensIn));
  const outTokens = Math.max(0, Math.ceil(tokensOut));
  // Integers below 2^53 multiply and add exactly as doubles: a request's cost nearly always does,
  // and BigInt there cost eight allocations a call, three calls a request. Beyond, BigInt.
  const inPico = inTokens * prices.inputMicrosPerMillion;
  const outPico = outTokens * prices.outputMicrosPerMillion;
  const pico = inPico + outPico;
  if (Number.isSafeInteger(inPico) && Number.isSafeInteger(outPico) && Number.isSafeInteger(pico)) {
    // The quotient as a double may round up to the next integer; the remainder, exact, corrects it.
    let whole = Math.floor(pico / MILLION_NUMBER);
    let rest = pico - whole * MILLION_NUMBER;
    if (rest < 0) {
      whole -= 1;
      rest += MILLION_NUMBER;
    }
    return rest > 0 ? whole + 1 : whole;
  }
  const exact = BigInt(inTokens) * BigInt(prices.inputMicrosPerMillion) + BigInt(outTokens) * BigInt(prices.outputMicrosPerMillion);
  const micros = (exact + MILLION - 1n) / MILLION;
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
