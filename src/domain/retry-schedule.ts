const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `250ms`, `5s`, `30m`, `2h`, `1d` -> milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a duration like 500ms, 5s, 30m, 2h or 1d`);
  const value = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (value <= 0) throw new Error(`"${text}" must be longer than zero`);
  return value;
}

/** `5s,5m,30m` -> [5000, 300000, 1800000]: the wait before each retry, in order. */
export function parseRetrySchedule(text: string): number[] {
  const parts = text.split(',').map((part) => part.trim());
  if (parts.some((part) => part === '')) throw new Error('must be a comma-separated list of durations, e.g. 5s,5m,30m');
  return parts.map(parseDuration);
}

/**
 * When to try again after the `failures`-th failed attempt in a row (1-based),
 * or null once the schedule is used up. A schedule of 7 waits therefore allows
 * 8 attempts in all.
 */
export function nextRetryAt(schedule: readonly number[], failures: number, now: Date): Date | null {
  const wait = schedule[failures - 1];
  return wait === undefined ? null : new Date(now.getTime() + wait);
}
