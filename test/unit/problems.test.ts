import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.ts';
import { classifyError, fieldPath } from '../../src/plugins/problems.ts';

describe('fieldPath', () => {
  it('names the item index and field of a body array', () => {
    expect(fieldPath('body', '/3/contactId')).toBe('[3].contactId');
  });
  it('names the query or path parameter', () => {
    expect(fieldPath('querystring', '/count')).toBe('query.count');
    expect(fieldPath('params', '/id')).toBe('params.id');
  });
  it('names the body itself for whole-body problems', () => {
    expect(fieldPath('body', '')).toBe('body');
  });
  it('walks nested objects', () => {
    expect(fieldPath('body', '/settings/url')).toBe('settings.url');
  });
});

describe('classifyError', () => {
  it.each(['bad_gateway', 'gateway_timeout', 'outbound_refused'] as const)("logs a point master's failure (%s) at warn with its own message", (code) => {
    const classified = classifyError(new AppError(code, 'The point master answered 500 instead of 200'));
    expect(classified.problem.status).toBeGreaterThanOrEqual(500);
    expect(classified.log).toMatchObject({ level: 'warn', message: 'point master call failed' });
  });

  it('keeps level error and "request failed" for our own faults', () => {
    expect(classifyError(new AppError('internal', 'broken')).log).toMatchObject({ level: 'error', message: 'request failed' });
    expect(classifyError(Object.assign(new Error('boom'), { code: 'X' })).log).toMatchObject({ level: 'error', message: 'request failed' });
  });

  it('passes a refusal’s wait on as Retry-After', () => {
    expect(classifyError(new AppError('rate_limited', 'wait', undefined, 42)).retryAfterSeconds).toBe(42);
  });
});
