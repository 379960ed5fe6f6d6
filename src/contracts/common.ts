import { z } from 'zod';
import { AMOUNT_DECIMALS, AMOUNT_RANGE, hasAtMostFourDecimals } from '../domain/amounts.ts';
import { peopleMessage } from '../domain/messages.ts';

// Every refusal a field schema gives no words of its own is worded by the message catalogue, for people.
z.config({ customError: peopleMessage });

/** The message for a present but wrong value; a missing one falls through to "is required". */
export const unlessMissing = (message: string) => (issue: { input?: unknown }) => (issue.input === undefined ? undefined : message);

/** The range of Postgres `integer`, in which definition ids are kept. */
export const INT32 = { min: -2147483648, max: 2147483647 } as const;

/**
 * Engage's ids (contacts, users, processes, workflows) are uuids in the
 * 8-4-4-4-12 form; their version nibble is not checked (Engage's own examples
 * use 0000...0001). The one schema of that shape (named for the id most
 * often sent), for requests and answers alike, so an answer never refuses an
 * id a request took.
 */
export const contactId = z.guid({ error: unlessMissing('must be a uuid') }).overwrite((id) => id.toLowerCase());
export const definitionId = z
  .int({ error: unlessMissing('must be a positive integer') })
  .positive({ error: 'must be a positive integer' })
  .max(INT32.max);
const isAmountInRange = (value: number) => value >= AMOUNT_RANGE.min && value <= AMOUNT_RANGE.max;
const outOfRange = `must be between ${AMOUNT_RANGE.min} and ${AMOUNT_RANGE.max}`;

/**
 * A point amount as Engage keeps it: a decimal with up to 4 places within
 * AMOUNT_RANGE (domain/amounts.ts, which says why a JS number carries it
 * exactly). `nonZero` where an amount of zero would mean nothing.
 */
export const pointAmount = ({ nonZero }: { nonZero: boolean }) => {
  const amount = z
    .number({ error: unlessMissing(`must be a ${nonZero ? 'non-zero ' : ''}number with at most ${AMOUNT_DECIMALS} decimal places`) })
    .min(AMOUNT_RANGE.min, outOfRange)
    .max(AMOUNT_RANGE.max, outOfRange)
    // Out of range is said once, by the checks above.
    .refine((value) => !isAmountInRange(value) || hasAtMostFourDecimals(value), `must have at most ${AMOUNT_DECIMALS} decimal places`);
  return (nonZero ? amount.refine((value) => value !== 0, 'must not be zero') : amount).describe(
    `A decimal with up to ${AMOUNT_DECIMALS} places, from ${AMOUNT_RANGE.min} to ${AMOUNT_RANGE.max}${nonZero ? ', not zero' : ''}`,
  );
};

/** A figure of points in an answer (an amount, a balance, a difference): a decimal with up to 4 places, as a JSON number. */
export const pointFigure = z.number();

/**
 * The canonical UTC form (milliseconds, `Z`) of a valid ISO date-time, or null
 * for years outside 0001-9999 in UTC: Postgres has no year 0, and a later year
 * would come out of toISOString as `+010000-...`, which it cannot read.
 * Remembers its last answer: a master usually stamps a whole batch with one
 * time, and a 1000-item batch then parses one date instead of two thousand.
 */
let lastInstant: { value: string; canonical: string | null } = { value: '', canonical: null };
export function canonicalInstant(value: string): string | null {
  if (value !== lastInstant.value) {
    const date = new Date(value);
    const year = date.getUTCFullYear();
    lastInstant = { value, canonical: year >= 1 && year <= 9999 ? date.toISOString() : null };
  }
  return lastInstant.canonical;
}

/**
 * A time a master pushes (timeStamp, validFrom, validTo, asOf). Any offset in,
 * canonical UTC with milliseconds out: the precision Postgres stores and JS
 * compares. `overwrite` rather than `transform` keeps it a plain string check,
 * which costs far less per item of a batch. A date-time without an offset, or
 * a date alone, is read in the tenant's time zone before this sees it
 * (domain/local-times.ts); one that names no real date or time is refused here.
 */
export const isoDateTime = z.iso
  .datetime({
    offset: true,
    // A value that is no date-time at all gets this one message, not also the range's.
    abort: true,
    error: unlessMissing(
      "must be an ISO-8601 date-time with an offset (2023-05-16T12:20:03.807Z), without one (2023-05-16T14:20:03, in the tenant's time zone), or a date (2023-05-16)",
    ),
  })
  .refine((value) => canonicalInstant(value) !== null, 'must be between years 0001 and 9999 in UTC')
  .overwrite((value) => canonicalInstant(value)!);

/**
 * An enum in a query string, matched in any case as ASP.NET binds enums
 * (`filter=active`), and answered in its canonical spelling.
 */
export function anyCaseEnum<const T extends readonly [string, ...string[]]>(values: T) {
  const canonical = new Map(values.map((value) => [value.toLowerCase(), value]));
  return z.preprocess((value) => (typeof value === 'string' ? (canonical.get(value.toLowerCase()) ?? value) : value), z.enum(values));
}

// Postgres text refuses NUL, and jsonb (where batches are kept) also refuses a lone UTF-16 surrogate.
// eslint-disable-next-line no-control-regex -- NUL is the character this looks for.
const unstorable = /\u0000|\p{Cs}/u;

/** Free text: anything Postgres can store, so a request it cannot keep is refused here rather than failing with a 500. */
export const storableText = z.string().refine((value) => !unstorable.test(value), 'must not contain NUL or unpaired surrogate characters');

// C0 controls, DEL and C1 controls: nothing a person types into a one-line field.
// eslint-disable-next-line no-control-regex -- control characters are what this looks for.
const controlCharacter = /[\u0000-\u001f\u007f-\u009f]/;

/** One line of text a person types: storable, and without control characters. */
export const lineText = storableText.refine((value) => !controlCharacter.test(value), 'must not contain control characters (NUL, tabs, line breaks, ...)');

/** A name people type: trimmed, 1 to 200 characters. */
export const shortName = storableText.trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters');

export const problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    instance: z.string().optional(),
    errors: z
      .array(
        z.object({
          path: z.string().describe('Where: `amount`, `[3].contactId` (the fourth item of a body array), `query.count`'),
          message: z.string().describe('What is wrong, for a person: the end of a sentence that starts with the field'),
          code: z.string().optional().describe('The kind of refusal, for programs: `too_big`, `invalid_type`, `custom`, ...'),
        }),
      )
      .optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

const link = z.object({ rel: z.string(), href: z.string(), method: z.string() });
export const links = z.array(link);

export const paging = z.object({
  offset: z.coerce.number().int().min(0).default(0),
  count: z.coerce.number().int().min(1).max(1000).default(100),
});

/** Numeric path id (point accounts, transactions); anything else is a 400 saying so. */
export const numericId = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

export const definitionIdParam = z.object({ id: z.coerce.number().pipe(definitionId) });

export const problemResponses = {
  400: problem,
  401: problem,
  404: problem,
};
