import { describe, expect, it } from 'vitest';
import { webhookEnvelope, webhookPayload } from '../../src/domain/adjustments.ts';
import { canReplay, outcomeOfAttempt } from '../../src/domain/deliveries.ts';
import { nextRetryAt, parseDuration, parseRetrySchedule } from '../../src/domain/retry-schedule.ts';

const DEFAULT = parseRetrySchedule('5s,5m,30m,2h,5h,10h,10h');
const now = new Date('2024-01-01T00:00:00Z');
const later = (ms: number) => new Date(now.getTime() + ms);

describe('retry schedule', () => {
  it('parses the default schedule', () => {
    expect(DEFAULT).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
  });
  it('parses milliseconds and days, and tolerates spaces', () => {
    expect(parseRetrySchedule('100ms, 200ms ,1d')).toEqual([100, 200, 86_400_000]);
  });
  it('refuses what it cannot read', () => {
    expect(() => parseDuration('5 minutes')).toThrow(/not a duration/);
    expect(() => parseDuration('0s')).toThrow(/longer than zero/);
    expect(() => parseRetrySchedule('5s,,5m')).toThrow(/comma-separated/);
    expect(() => parseRetrySchedule('')).toThrow();
  });
  it('gives the wait after the n-th failure, then null', () => {
    expect(nextRetryAt(DEFAULT, 1, now)).toEqual(later(5_000));
    expect(nextRetryAt(DEFAULT, 7, now)).toEqual(later(36_000_000));
    expect(nextRetryAt(DEFAULT, 8, now)).toBeNull();
  });
});

describe('outcomeOfAttempt', () => {
  const schedule = [100, 200, 300];

  it('any 2xx is delivered', () => {
    for (const status of [200, 202, 204, 299]) {
      expect(outcomeOfAttempt({ answered: true, status, body: '' }, 2, schedule, now)).toEqual({
        state: 'Delivered',
        failures: 0,
        nextAttemptAt: null,
        lastStatus: status,
        lastError: null,
      });
    }
  });

  it('a failure retries on the schedule and says what the master answered', () => {
    expect(outcomeOfAttempt({ answered: true, status: 500, body: '{"error":\n "database down"}' }, 0, schedule, now)).toEqual({
      state: 'Retrying',
      failures: 1,
      nextAttemptAt: later(100),
      lastStatus: 500,
      lastError: 'The master answered 500: {"error": "database down"}',
    });
    expect(outcomeOfAttempt({ answered: false, error: 'No answer within 15000 ms' }, 2, schedule, now)).toMatchObject({
      state: 'Retrying',
      failures: 3,
      nextAttemptAt: later(300),
      lastStatus: null,
    });
  });

  it('a redirect is a failure: redirects are not followed', () => {
    expect(outcomeOfAttempt({ answered: true, status: 302, body: '' }, 0, schedule, now).lastError).toBe(
      'The master answered 302 (redirects are not followed)',
    );
  });

  it('gives up after the last retry', () => {
    expect(outcomeOfAttempt({ answered: true, status: 503, body: '' }, 3, schedule, now)).toEqual({
      state: 'Failed',
      failures: 4,
      nextAttemptAt: null,
      lastStatus: 503,
      lastError: 'The master answered 503; gave up after 4 attempts',
    });
  });

  it('410 Gone stops at once', () => {
    expect(outcomeOfAttempt({ answered: true, status: 410, body: '' }, 0, schedule, now)).toMatchObject({
      state: 'Failed',
      nextAttemptAt: null,
      lastError: 'The master answered 410; 410 Gone stops all retries',
    });
  });

  it('only dead letters and waiting retries can be replayed', () => {
    expect(['AwaitingConfiguration', 'Pending', 'Retrying', 'Delivered', 'Failed'].filter((s) => canReplay(s as never))).toEqual(['Retrying', 'Failed']);
  });
});

describe('webhook payload', () => {
  const common = { contactId: '1dfe06cd-a1be-4423-8ed4-afd900d998aa', definitionId: 1, amount: 40 };

  it('has the documented automation fields, in order', () => {
    const payload = webhookPayload({
      ...common,
      description: 'Points awarded',
      source: 'Automation',
      reason: 'Voyado',
      processId: 'd6342090-7410-4c00-aa4b-dbd394dac7e6',
      workflowId: '44931e65-e188-46c4-92bd-50e4818fece2',
      workflowName: '',
    });
    expect(JSON.stringify(payload)).toBe(
      '{"ContactId":"1dfe06cd-a1be-4423-8ed4-afd900d998aa","Amount":40,"Description":"Points awarded","Source":"Automation","PointDefinitionId":1,' +
        '"Reason":"Voyado","ProcessId":"d6342090-7410-4c00-aa4b-dbd394dac7e6","WorkflowId":"44931e65-e188-46c4-92bd-50e4818fece2","WorkflowName":""}',
    );
  });

  it('has the documented manual fields and nothing of an automation', () => {
    const payload = webhookPayload({
      ...common,
      amount: -5,
      description: 'Give points from Engage',
      source: 'Manual',
      userId: 'c23f28cb-d62d-42cf-9d11-b919198409ea',
      userName: 'Jimmy User',
    });
    expect(Object.keys(payload)).toEqual(['ContactId', 'Amount', 'Description', 'Source', 'PointDefinitionId', 'UserId', 'UserName']);
    expect(payload.Amount).toBe(-5);
  });

  it('wraps it in the documented envelope, isEncrypted included', () => {
    expect(JSON.stringify(webhookEnvelope('70b84f00-d212-47c0-a56d-feaab6294333', 'Zm9v', 'pointfollower'))).toBe(
      '{"eventType":"loyalty.addPoints","id":"70b84f00-d212-47c0-a56d-feaab6294333","isEncrypted":true,"payload":"Zm9v","tenant":"pointfollower"}',
    );
  });
});
