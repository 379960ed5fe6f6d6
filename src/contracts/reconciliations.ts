import { z } from 'zod';
import { DRIFT_KINDS, type DriftRecord, RECONCILIATION_SCOPES, RECONCILIATION_STATUSES, type ReconciliationRecord } from '../domain/reconciliations.ts';
import { anyCaseEnum, contactId, definitionId, isoDateTime, paging, pointAmount, pointFigure } from './common.ts';

export const openReconciliationBody = z
  .object({
    asOf: isoDateTime.describe('The moment both sides are compared at; not in the future'),
    scope: z
      .enum(RECONCILIATION_SCOPES)
      .default('Listed')
      .describe('Listed: only the accounts the master lists; Full: also every account the follower holds that the master did not list'),
    repair: z.boolean().default(false).describe("Bring each drifted account to the master's balance"),
  })
  .meta({ id: 'OpenReconciliation' });

const reconciliationLine = z
  .object({
    contactId,
    definitionId,
    balance: pointAmount({ nonZero: false }).describe("The master's balance as of asOf: a decimal with up to 4 places, from -2147483648 to 2147483647"),
  })
  .meta({ id: 'ReconciliationAccount' });

export const reconciliationLinesBody = z.array(reconciliationLine).min(1, 'must contain at least one item');

/** The fields of a line, in the order its refusals are listed. */
export const RECONCILIATION_LINE_FIELDS = Object.keys(reconciliationLine.shape);

/**
 * The items of a body that failed its schema which still name a well-formed
 * definition id, with their index: their definitions can be checked in the
 * same answer as the form's errors.
 */
export function namedDefinitions(body: unknown): { index: number; definitionId: number }[] {
  if (!Array.isArray(body)) return [];
  return body.flatMap((item: unknown, index) => {
    const parsed = definitionId.safeParse(typeof item === 'object' && item !== null ? (item as { definitionId?: unknown }).definitionId : undefined);
    return parsed.success ? [{ index, definitionId: parsed.data }] : [];
  });
}

export const reconciliationParams = z.object({ id: z.uuid() });

export const linesAccepted = z
  .object({ id: z.uuid(), accepted: z.int().describe('Accounts stored by this call (an account listed twice in it counts once)') })
  .meta({ id: 'ReconciliationAccountsAccepted' });

const byKind = z.object(Object.fromEntries(DRIFT_KINDS.map((kind) => [kind, z.int()])) as Record<(typeof DRIFT_KINDS)[number], z.ZodInt>);

export const reconciliation = z
  .object({
    id: z.uuid(),
    asOf: z.string(),
    scope: z.enum(RECONCILIATION_SCOPES),
    repair: z.boolean(),
    status: z.enum(RECONCILIATION_STATUSES),
    listed: z.int().describe('Accounts the master listed (counted by the compare)'),
    compared: z.int().describe('Accounts compared: the listed ones, and for scope Full the follower accounts held as of asOf that were not listed'),
    matched: z.int(),
    drifted: z.int(),
    byKind,
    repaired: z.int().describe('Drifted accounts the repair changed'),
    missingSequences: z
      .object({
        count: z.int().describe('Sequences missing when the compare ran'),
        highestSequence: z.int().describe('The highest sequence applied then: rows above it may be missing too'),
        gaps: z.array(z.object({ from: z.int(), to: z.int(), since: z.string() })).describe('The first 100 missing ranges, lowest first'),
      })
      .optional()
      .describe(
        'Left out when no sequence was missing. Rows in these gaps (dated at or before asOf) may be what a drift stands for; a repair stands in for them, and when they arrive they offset it',
      ),
    createdAt: z.string(),
    completedAt: z.string().optional(),
    error: z.string().optional().describe('Why the compare failed (status Failed)'),
  })
  .meta({ id: 'Reconciliation' });

export const reconciliationList = z
  .object({ items: z.array(reconciliation), totalCount: z.int(), offset: z.int(), count: z.int() })
  .meta({ id: 'ReconciliationList' });

export const driftQuery = paging.extend({ kind: anyCaseEnum(DRIFT_KINDS).optional() });

const drift = z
  .object({
    contactId,
    definitionId: z.int(),
    accountId: z.int().optional().describe("The follower's account, when it has one"),
    masterBalance: pointFigure,
    followerBalance: pointFigure,
    difference: pointFigure.describe('masterBalance - followerBalance'),
    kind: z.enum(DRIFT_KINDS),
  })
  .meta({ id: 'ReconciliationDrift' });

export const driftList = z.object({ items: z.array(drift), totalCount: z.int(), offset: z.int(), count: z.int() }).meta({ id: 'ReconciliationDriftList' });

/** A reconciliation as every answer shows it: dates as ISO strings, values it does not have left out. */
export const toReconciliation = (r: ReconciliationRecord): z.output<typeof reconciliation> => ({
  id: r.id,
  asOf: r.asOf.toISOString(),
  scope: r.scope,
  repair: r.repair,
  status: r.status,
  listed: r.listed,
  compared: r.compared,
  matched: r.matched,
  drifted: r.drifted,
  byKind: r.byKind,
  repaired: r.repaired,
  missingSequences:
    r.sequences.missing > 0
      ? {
          count: r.sequences.missing,
          highestSequence: r.sequences.highest,
          gaps: r.sequences.gaps.map((gap) => ({ from: gap.from, to: gap.to, since: gap.since.toISOString() })),
        }
      : undefined,
  createdAt: r.createdAt.toISOString(),
  completedAt: r.completedAt?.toISOString(),
  error: r.error ?? undefined,
});

/** A drift as every answer shows it: accountId left out when the follower has no account. */
export const toDrift = (d: DriftRecord): z.output<typeof drift> => ({
  contactId: d.contactId,
  definitionId: d.definitionId,
  accountId: d.accountId ?? undefined,
  masterBalance: d.masterBalance,
  followerBalance: d.followerBalance,
  difference: d.difference,
  kind: d.kind,
});
