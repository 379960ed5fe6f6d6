import { describe, expect, it } from 'vitest';
import {
  afterAttempt,
  lockedForSeconds,
  PAIR_THROTTLE,
  pairThrottleKey,
  type ThrottleState,
  USER_SLOWDOWN,
  userThrottleKey,
} from '../../src/domain/login-throttle.ts';

const at = (minutes: number) => new Date(Date.UTC(2030, 0, 1, 12, 0) + minutes * 60_000);

function attempt(times: number, start: ThrottleState | null, minute: number) {
  let state = start;
  for (let i = 0; i < times; i++) state = afterAttempt(state, at(minute), PAIR_THROTTLE);
  return state!;
}

describe('sign-in attempt limits', () => {
  it('locks a key for 15 minutes at the fifth attempt within 15 minutes, and refuses (counts nothing) while locked', () => {
    const four = attempt(4, null, 0);
    expect(four).toEqual({ attempts: 4, windowStartedAt: at(0), lockedUntil: null });
    const five = afterAttempt(four, at(10), PAIR_THROTTLE);
    expect(five).toEqual({ attempts: 5, windowStartedAt: at(0), lockedUntil: at(25) });
    expect(afterAttempt(five, at(24), PAIR_THROTTLE)).toBeNull();
    expect(afterAttempt(five, at(25), PAIR_THROTTLE)).toEqual({ attempts: 1, windowStartedAt: at(25), lockedUntil: null });
  });

  it('starts counting afresh once the window has passed', () => {
    const four = attempt(4, null, 0);
    expect(afterAttempt(four, at(15), PAIR_THROTTLE)).toEqual({ attempts: 1, windowStartedAt: at(15), lockedUntil: null });
  });

  it('past its limit the username slows to one attempt per 30 seconds for the rest of the window', () => {
    let state: ThrottleState | null = null;
    for (let i = 0; i < USER_SLOWDOWN.maxAttempts; i++) state = afterAttempt(state, at(0), USER_SLOWDOWN);
    expect(state!.lockedUntil).toEqual(new Date(at(0).getTime() + 30_000));
    expect(afterAttempt(state, at(0.4), USER_SLOWDOWN)).toBeNull();
    const next = afterAttempt(state, at(0.5), USER_SLOWDOWN);
    expect(next).toEqual({ attempts: USER_SLOWDOWN.maxAttempts + 1, windowStartedAt: at(0), lockedUntil: new Date(at(1).getTime()) });
  });

  it('keys a known user by tenant id and user id, an unknown one by the keys of what was typed', () => {
    const sam = { tenantId: 't-1', userId: 'u-1' };
    expect(userThrottleKey(sam)).toBe('user:t-1:u-1');
    expect(pairThrottleKey(sam, '::1')).toBe('pair:::1 t-1:u-1');
    expect(pairThrottleKey(sam, '10.0.0.1')).not.toBe(pairThrottleKey(sam, '10.0.0.2'));
    const unknown = { unknown: { nameKey: 'acme', username: 'sam' } };
    expect(userThrottleKey(unknown)).toBe('user:?acme:sam');
    expect(userThrottleKey(unknown)).not.toBe(userThrottleKey(sam));
  });

  it('says how long the later of several locks still holds, in whole seconds', () => {
    expect(lockedForSeconds([null, at(2), at(1)], at(0))).toBe(120);
    expect(lockedForSeconds([at(0)], new Date(at(0).getTime() - 1500))).toBe(2);
    expect(lockedForSeconds([at(-1), null], at(0))).toBe(0);
    expect(lockedForSeconds([], at(0))).toBe(0);
  });
});
