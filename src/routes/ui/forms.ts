import type { FastifyReply } from 'fastify';
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

/**
 * What a form post answers: a page (no-store when it shows a secret once), a
 * redirect (303), or JSON for the page script. Built inside the transaction
 * that commits the form's work (services/answer-check.ts, formAnswers), sent
 * once committed.
 */
export type FormAnswer = { page: string; status: number; noStore: boolean } | { redirect: string } | { json: string; status: number };

/** Every form post's answer is made by one of these three, so a test can make them fail. */
export const answerPage = (page: string, options: { status?: number; noStore?: boolean } = {}): FormAnswer => ({
  page,
  status: options.status ?? 200,
  noStore: options.noStore ?? false,
});

export const redirectTo = (location: string): FormAnswer => ({ redirect: location });

export const answerJson = (status: number, body: object): FormAnswer => ({ json: JSON.stringify(body), status });

export function sendAnswer(reply: FastifyReply, answer: FormAnswer) {
  if ('redirect' in answer) return reply.redirect(answer.redirect, 303);
  if ('json' in answer) return reply.code(answer.status).type('application/json; charset=utf-8').send(answer.json);
  // Said outright for the pages that hold a secret, whatever the scope's default.
  if (answer.noStore) reply.header('cache-control', 'no-store');
  return reply.html(answer.page, answer.status);
}
