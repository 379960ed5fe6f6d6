import { z } from 'zod';
import { CONTACT_HEX_DIGITS, DIGEST_LIMITS } from '../domain/digests.ts';
import { isoDateTime } from './common.ts';

const prefix = z
  .string({ error: 'must be a string of lowercase hex digits' })
  .regex(/^[0-9a-f]*$/, 'must be lowercase hex digits (a prefix of the contact id without dashes)')
  .max(CONTACT_HEX_DIGITS - 1, `must be shorter than ${CONTACT_HEX_DIGITS} digits`);

const prefixes = z
  .array(prefix)
  .min(1, 'must contain at least one prefix')
  .refine((list) => new Set(list.map((p) => p.length)).size === 1, 'must all be of one length')
  .refine((list) => new Set(list).size === list.length, 'must not repeat a prefix');

export const digestBody = z
  .object({
    asOf: isoDateTime.describe('The moment the balances are taken at; not in the future'),
    prefixes: prefixes.describe('Ranges of the contact id space, each named by a prefix of the id\'s hex digits without dashes ("" is every contact)'),
    depth: z
      .int({ error: 'must be an integer' })
      .min(1, 'must be at least 1')
      .max(DIGEST_LIMITS.maxDepth, `must be at most ${DIGEST_LIMITS.maxDepth}`)
      .describe('Hex digits to descend: each prefix is answered as the 16^depth ranges below it'),
  })
  .superRefine((body, ctx) => {
    const length = body.prefixes[0]?.length ?? 0;
    if (length + body.depth > CONTACT_HEX_DIGITS) {
      ctx.addIssue({ code: 'custom', path: ['depth'], message: `prefix length plus depth must be at most ${CONTACT_HEX_DIGITS}` });
    }
    if (body.prefixes.length * 16 ** body.depth > DIGEST_LIMITS.maxRanges) {
      ctx.addIssue({ code: 'custom', path: ['prefixes'], message: `prefixes x 16^depth must be at most ${DIGEST_LIMITS.maxRanges} ranges` });
    }
  })
  .meta({ id: 'DigestRequest' });

const rangeDigest = z
  .object({
    prefix: z.string().describe('The range: contacts whose hex digits start with it'),
    count: z.int().describe('Accounts with a non-zero balance as of asOf in the range'),
    hash: z.string().describe('The sum of their hashes modulo 2^64, 16 lowercase hex digits'),
  })
  .meta({ id: 'RangeDigest' });

export const digestAnswer = z
  .object({
    asOf: z.string(),
    ranges: z.array(rangeDigest).describe('Only the ranges holding an account; a range left out has count 0 and hash 0000000000000000'),
  })
  .meta({ id: 'Digest' });

export const digestAccountsBody = z
  .object({
    asOf: isoDateTime.describe('The moment the balances are taken at; not in the future'),
    prefixes: prefixes.max(DIGEST_LIMITS.maxRanges, `must hold at most ${DIGEST_LIMITS.maxRanges} prefixes`),
  })
  .meta({ id: 'DigestAccountsRequest' });

export const digestAccounts = z
  .object({
    items: z.array(z.object({ contactId: z.guid(), definitionId: z.int() })).describe('Sorted by contact and definition'),
  })
  .meta({ id: 'DigestAccounts' });
