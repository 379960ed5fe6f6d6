import { describe, expect, it } from 'vitest';
import { afterFailure, lockedForSeconds, type ThrottleState, USER_THROTTLE } from '../../src/domain/login-throttle.ts';

const at = (minutes: number) => new Date(Date.UTC(2030, 0, 1, 12, 0) + minutes * 60_000);

function fail(times: number, start: ThrottleState | null, minute: number) {
  let state = start;
  for (let i = 0; i < times; i++) state = afterFailure(state, at(minute), USER_THROTTLE);
  return state!;
}

describe('login lock-out rules', () => {
  it('locks a key for 15 minutes at the fifth failure within 15 minutes', () => {
    const four = fail(4, null, 0);
    expect(four).toEqual({ failures: 4, windowStartedAt: at(0), lockedUntil: null });
    const five = afterFailure(four, at(10), USER_THROTTLE);
    expect(five).toEqual({ failures: 5, windowStartedAt: at(0), lockedUntil: at(25) });
  });

  it('starts counting afresh once the window has passed', () => {
    const four = fail(4, null, 0);
    expect(afterFailure(four, at(15), USER_THROTTLE)).toEqual({ failures: 1, windowStartedAt: at(15), lockedUntil: null });
  });

  it('says how long the later of several locks still holds, in whole seconds', () => {
    expect(lockedForSeconds([null, at(2), at(1)], at(0))).toBe(120);
    expect(lockedForSeconds([at(0)], new Date(at(0).getTime() - 1500))).toBe(2);
    expect(lockedForSeconds([at(-1), null], at(0))).toBe(0);
    expect(lockedForSeconds([], at(0))).toBe(0);
  });
});
