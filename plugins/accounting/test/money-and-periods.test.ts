/** Exact costs (integers, rounded up to the micro-unit) and UTC budget windows. */
import { expect, it } from 'vitest';
import { windowsAt } from '../src/budget-ledger.js';
import { counterTtlSeconds, periodWindow } from '../src/budget-period.js';
import type { Budget } from '../src/budget-store.js';
import { costMicros, formatAmount, parseAmountMicros } from '../src/money.js';

it('computes costs in integers and rounds up to the micro-unit', () => {
  // 1500 × 0.15 USD/M + 200 × 0.60 USD/M = 225 + 120 micro-USD exactly.
  expect(costMicros(1500, 200, { inputMicrosPerMillion: 150_000, outputMicrosPerMillion: 600_000 })).toBe(345);
  // One token at 0.000001 USD/M is a fraction of a micro-unit: charged as 1.
  expect(costMicros(1, 0, { inputMicrosPerMillion: 1, outputMicrosPerMillion: 0 })).toBe(1);
  expect(costMicros(0, 0, { inputMicrosPerMillion: 5, outputMicrosPerMillion: 5 })).toBe(0);
  // Products beyond 2^53 stay exact: 9e9 tokens × 999.999999 USD/M.
  expect(costMicros(9_000_000_000, 0, { inputMicrosPerMillion: 999_999_999, outputMicrosPerMillion: 0 })).toBe(8_999_999_991_000);
  // Floats would get this one wrong: 0.1 + 0.2 style sums.
  expect(costMicros(100_000, 200_000, { inputMicrosPerMillion: 1, outputMicrosPerMillion: 1 })).toBe(1);
});

it('agrees with the BigInt formula everywhere, on both sides of 2^53 and of every multiple of a million', () => {
  const exact = (tokensIn: number, tokensOut: number, inPrice: number, outPrice: number) =>
    Number((BigInt(Math.ceil(tokensIn)) * BigInt(inPrice) + BigInt(Math.ceil(tokensOut)) * BigInt(outPrice) + 999_999n) / 1_000_000n);
  const cases: [number, number, number, number][] = [
    // Exactly a multiple of a million, and one pico-unit either side, near the top of the safe range.
    [9_007_199_254, 0, 1_000_000, 0],
    [9_007_199, 1, 1_000_000_000, 254_740_991],
    [9_007_199, 1, 1_000_000_000, 254_740_990],
    [4_503_599_627, 0, 2_000_000, 0],
    // Just past 2^53: the BigInt path.
    [9_007_199_254_740, 1, 1_000, 0],
    [3, 7, 333_333, 142_857],
  ];
  let seed = 12_345;
  const random = (below: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return Math.floor((seed / 2 ** 31) * below);
  };
  for (let i = 0; i < 20_000; i++) {
    const scale = [1_000, 1_000_000, 1_000_000_000, 1_000_000_000_000][i % 4]!;
    cases.push([random(scale) + (i % 3 === 0 ? 0.5 : 0), random(scale), random(1_000_000_000), random(1_000_000_000)]);
  }
  for (const [tokensIn, tokensOut, inPrice, outPrice] of cases) {
    const expected = exact(tokensIn, tokensOut, inPrice, outPrice);
    if (expected > Number.MAX_SAFE_INTEGER) continue;
    expect(costMicros(tokensIn, tokensOut, { inputMicrosPerMillion: inPrice, outputMicrosPerMillion: outPrice }), `${tokensIn} ${tokensOut} ${inPrice} ${outPrice}`).toBe(expected);
  }
});

it('parses and formats decimal amounts exactly', () => {
  expect(parseAmountMicros('12.5')).toBe(12_500_000);
  expect(parseAmountMicros('0.000001')).toBe(1);
  expect(parseAmountMicros('1.0000001')).toBeUndefined();
  expect(formatAmount(12_500_000)).toBe('12.5');
  expect(formatAmount(1)).toBe('0.000001');
});

it('cuts periods at UTC boundaries', () => {
  const at = Date.UTC(2025, 1, 28, 23, 59, 59, 999);
  expect(periodWindow('daily', at)).toEqual({ id: 'd2025-02-28', start: Date.UTC(2025, 1, 28), end: Date.UTC(2025, 2, 1) });
  expect(periodWindow('daily', at + 1).id).toBe('d2025-03-01');
  expect(periodWindow('monthly', at)).toEqual({ id: 'm2025-02', start: Date.UTC(2025, 1, 1), end: Date.UTC(2025, 2, 1) });
  expect(periodWindow('monthly', Date.UTC(2025, 11, 31, 12)).end).toBe(Date.UTC(2026, 0, 1));
  expect(periodWindow('total', at)).toEqual({ id: 'total', start: 0, end: null });
  expect(counterTtlSeconds(periodWindow('total', at), at)).toBe(0);
  expect(counterTtlSeconds(periodWindow('daily', at), at)).toBe(1 + 86_400);
});

it("gives every request in a budget's window the same window and key, and the next window after its end", () => {
  const budget: Budget = { id: 'b1', scope: 'tenant', subjectId: 't', period: 'daily', amountMicros: 1, currency: 'USD', tenantId: 't', partnerId: null, createdAt: 0, updatedAt: 0 };
  const end = Date.UTC(2025, 2, 1);
  const [first] = windowsAt([budget], end - 1000);
  expect(first).toEqual({ budget, window: { id: 'd2025-02-28', start: Date.UTC(2025, 1, 28), end }, key: 'budget:{b1:d2025-02-28}' });
  expect(windowsAt([budget], end - 1)[0]).toBe(first);
  const [next] = windowsAt([budget], end);
  expect(next).toMatchObject({ window: { id: 'd2025-03-01', start: end }, key: 'budget:{b1:d2025-03-01}' });
  // A request that read the clock just before the boundary still counts in its own day.
  expect(windowsAt([budget], end - 1)[0]!.key).toBe('budget:{b1:d2025-02-28}');
  // A reloaded budget (a new object, here monthly) is worked out afresh.
  expect(windowsAt([{ ...budget, period: 'monthly' }], end - 1)[0]!.key).toBe('budget:{b1:m2025-02}');
});
