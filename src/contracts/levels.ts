import { z } from 'zod';
import { LEVEL_BASES, LEVEL_CHANGE_REASONS, ladderProblems } from '../domain/levels.ts';
import { contactId, definitionId, INT32, paging, pointFigure, storableText } from './common.ts';

const levelKey = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$/, 'must be 1-50 letters, digits, ".", "_" or "-", starting with a letter or digit');

const level = z.object({
  key: levelKey,
  name: storableText.trim().min(1).max(100),
  threshold: z.int({ error: 'must be a whole number from 0 up' }).min(0, 'must be a whole number from 0 up').max(INT32.max),
});

const levelWindow = z.discriminatedUnion('type', [
  z.object({ type: z.literal('Rolling'), months: z.int().min(1).max(120).describe('Counts entries dated in the last N calendar months') }),
  z.object({ type: z.literal('CalendarYear').describe("Counts entries dated in the current calendar year of the tenant's time zone") }),
]);

export const ladderBody = z
  .object({
    definitionId: definitionId.describe('The point definition whose ledger entries count'),
    basis: z
      .enum(LEVEL_BASES)
      .describe('PointsEarned: positive Addition entries except Reconciliation and OpeningBalance. Purchases: Purchase entries minus Return entries'),
    window: levelWindow,
    levels: z.array(level).min(1).max(50).describe('Thresholds strictly increasing, the first 0'),
    announce: z.boolean().default(false).describe('Send each recorded change to the master as webhook event loyalty.levelChanged'),
  })
  .superRefine((body, ctx) => {
    // An empty list is already refused by min(1).
    if (body.levels.length === 0) return;
    for (const problem of ladderProblems(body.levels)) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
  });
export type LadderInput = z.output<typeof ladderBody>;

export const ladder = z
  .object({
    definitionId: z.int(),
    basis: z.enum(LEVEL_BASES),
    window: levelWindow,
    levels: z.array(z.object({ key: z.string(), name: z.string(), threshold: z.int() })),
    announce: z.boolean(),
    timeZone: z.string().describe("The tenant's time zone, where calendar years begin (PATCH /admin/v1/tenants/{id} sets it)"),
    changesRecorded: z.int().optional().describe('In the answer to PUT: the level changes that the new ladder caused (reason LadderChanged)'),
  })
  .meta({ id: 'LevelLadder' });

export const memberLevelParams = z.object({ contactId });

export const memberLevelAnswer = z
  .object({
    key: z.string(),
    name: z.string(),
    since: z.string().optional().describe('When the worker recorded the contact reaching this level; absent until it has, and for a contact never moved'),
    qualifying: pointFigure.describe('Points earned or purchases counted in the window, at the time of the request'),
    basis: z.enum(LEVEL_BASES),
    window: z.object({
      from: z.string().describe('The earliest transaction time that counts'),
      to: z.string().describe('Rolling: the time of the request. CalendarYear: the next 1 January 00:00 in the tenant time zone'),
    }),
    next: z
      .object({ key: z.string(), name: z.string(), threshold: z.int(), remaining: pointFigure.describe('Points or purchases still needed') })
      .optional()
      .describe('Absent at the top level'),
  })
  .meta({ id: 'MemberLevel' });

export const levelChangeReason = z.enum(LEVEL_CHANGE_REASONS);

const levelChange = z
  .object({
    id: z.string(),
    fromKey: z.string(),
    fromName: z.string(),
    toKey: z.string(),
    toName: z.string(),
    reason: levelChangeReason,
    qualifying: pointFigure,
    changedAt: z.string(),
  })
  .meta({ id: 'MemberLevelChange' });

export const levelHistoryQuery = paging;

export const levelHistoryPage = z
  .object({ items: z.array(levelChange), totalCount: z.int(), offset: z.int(), count: z.int() })
  .meta({ id: 'PagedResultOfMemberLevelChange' });
