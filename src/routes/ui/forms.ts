import type { z } from 'zod';
import { invalidFieldsDetail, onePerField } from '../../domain/messages.ts';
import { AppError } from '../../errors.ts';

/** The fields of a posted form that are strings (all of them, for a browser's form post). */
export const stringFields = (body: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries((body ?? {}) as Record<string, unknown>).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));

/** A form's fields through its schema; refusals are a 400 naming each field, as the API's problem details do. */
export function parseForm<S extends z.ZodType>(schema: S, body: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(stringFields(body));
  if (parsed.success) return parsed.data;
  const errors = onePerField(parsed.error.issues.map((issue) => ({ path: issue.path.join('.') || 'form', message: issue.message, code: issue.code })));
  throw new AppError('validation', `${invalidFieldsDetail(errors.length, what)}; nothing was sent`, errors);
}
