import { z } from 'zod';
import { reconciliation } from './reconciliations.ts';

const gap = z
  .object({
    from: z.int().describe('First missing sequence'),
    to: z.int().describe('Last missing sequence'),
    since: z.string().describe('When the follower first saw these sequences missing'),
  })
  .meta({ id: 'SyncGap' });

export const syncStatus = z
  .object({
    contiguousThrough: z.int().describe('Every sequence from 1 up to this one has been applied; re-send from the next one after an outage'),
    highestSequence: z.int().describe('The highest sequence applied (0: none yet)'),
    missingCount: z.int().describe('Sequences below highestSequence not applied'),
    gaps: z.array(gap).describe('The first 100 missing ranges, lowest first'),
    lastReceivedAt: z.string().optional().describe('When a row with a sequence was last applied; absent when none ever was'),
    gapAlertSeconds: z.int().describe('A gap older than this is an alert (SYNC_GAP_ALERT_SECONDS)'),
    alerting: z.boolean().describe('True while some gap is older than gapAlertSeconds'),
    lastReconciliation: reconciliation.optional().describe("The tenant's newest reconciliation; absent when none was opened"),
  })
  .meta({ id: 'SyncStatus' });
export type SyncStatus = z.output<typeof syncStatus>;
