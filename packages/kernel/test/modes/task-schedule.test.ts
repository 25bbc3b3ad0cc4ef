import { describe, expect, it } from 'vitest';
import { nextCronTick, validateTaskSchedule } from '../../src/modes/task-schedule.js';

const utc = (iso: string) => Date.parse(`${iso}Z`);

describe('cron patterns', () => {
  it('reads five fields as minutes and six as seconds first, in UTC whatever the process zone', () => {
    expect(nextCronTick('0 * * * *', utc('2026-11-28T22:30:15'))).toBe(utc('2026-11-28T23:00:00'));
    expect(nextCronTick('*/30 * * * * *', utc('2026-11-28T22:30:15'))).toBe(utc('2026-11-28T22:30:30'));
    expect(nextCronTick('0 3 * * *', utc('2026-12-31T04:00:00'))).toBe(utc('2027-01-01T03:00:00'));
  });

  it('gives the first tick strictly after the time asked about', () => {
    expect(nextCronTick('0 * * * *', utc('2026-11-28T23:00:00'))).toBe(utc('2026-11-29T00:00:00'));
    expect(nextCronTick('* * * * * *', utc('2026-11-28T23:00:00'))).toBe(utc('2026-11-28T23:00:01'));
  });

  it('fires on day-of-month or day-of-week when both are set, as cron does', () => {
    // 2026-11-29 is a Sunday; the 1st of December a Tuesday.
    expect(nextCronTick('0 0 1 * 0', utc('2026-11-28T12:00:00'))).toBe(utc('2026-11-29T00:00:00'));
    expect(nextCronTick('0 0 1 * 0', utc('2026-11-29T12:00:00'))).toBe(utc('2026-12-01T00:00:00'));
  });

  it('rejects what is not a five- or six-field pattern, naming the task and the fix', () => {
    for (const bad of ['not a cron', '* * * *', '0 0 0 1 1 * 2030', '61 * * * *', '* * 32 * *']) {
      expect(() => validateTaskSchedule('m/x', { cron: bad }), bad).toThrow(/\[TASK_INVALID\] Task 'm\/x' has an invalid cron pattern .*five fields, or six/);
    }
    expect(() => validateTaskSchedule('m/x', { cron: '*/5 * * * *' })).not.toThrow();
  });
});
