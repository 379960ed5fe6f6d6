import { describe, expect, it } from 'vitest';
import type { AdjustmentStage } from '../../src/domain/adjustments.ts';
import { attentionReasons } from '../../src/domain/attention.ts';
import { DELIVERY_STATES } from '../../src/domain/deliveries.ts';
import { driftStands, reconciliationOutcome, repairLines, unrepairedDrifts } from '../../src/domain/reconciliations.ts';
import { knownFacts } from '../../src/domain/tenants.ts';
import { adjustmentStatus, sentBanner } from '../../src/ui/adjustment-status.ts';
import { formatDateTime, formatDuration, relativeTime, zoneLabel } from '../../src/ui/format.ts';

const reconciliation = (over: Partial<{ status: 'Open' | 'Comparing' | 'Completed' | 'Failed'; drifted: number; repair: boolean; repaired: number }>) => ({
  status: 'Completed' as const,
  drifted: 0,
  repair: false,
  repaired: 0,
  ...over,
});

describe('reconciliation outcomes', () => {
  it('is green only when nothing is left differing', () => {
    expect(reconciliationOutcome(reconciliation({}))).toBe('matched');
    expect(reconciliationOutcome(reconciliation({ drifted: 2 }))).toBe('drifted');
    expect(reconciliationOutcome(reconciliation({ drifted: 2, repair: true, repaired: 2 }))).toBe('repaired');
    expect(reconciliationOutcome(reconciliation({ drifted: 2, repair: true, repaired: 1 }))).toBe('drifted');
    expect(reconciliationOutcome(reconciliation({ status: 'Comparing' }))).toBe('comparing');
    expect(reconciliationOutcome(reconciliation({ status: 'Failed' }))).toBe('failed');
    expect(unrepairedDrifts(reconciliation({ drifted: 3, repair: true, repaired: 1 }))).toBe(2);
    expect(unrepairedDrifts(reconciliation({ status: 'Open', drifted: 3 }))).toBe(0);
  });

  it('keeps a drift standing until the balance as of its time is the master figure again', () => {
    expect(driftStands({ masterBalance: 130 }, 100)).toBe(true);
    expect(driftStands({ masterBalance: 130 }, 130)).toBe(false);
    expect(driftStands({ masterBalance: 12.5 }, 12.50001)).toBe(false);
    expect(driftStands({ masterBalance: 12.5 }, 12.5001)).toBe(true);
  });

  it('lists each drifted account at the master figure for a repair', () => {
    expect(repairLines([{ contactId: 'c', definitionId: 1, masterBalance: 0 }])).toEqual([{ contactId: 'c', definitionId: 1, balance: 0 }]);
  });
});

describe('who needs a person', () => {
  it('names every reason, unrepaired drift included', () => {
    const calm = { overdue: false, deliveriesFailed: 0, gapAlerting: false, unrepairedDrifts: 0 };
    expect(attentionReasons(calm)).toEqual([]);
    expect(attentionReasons({ ...calm, unrepairedDrifts: 2 })).toEqual(['drift']);
    expect(attentionReasons({ overdue: true, deliveriesFailed: 1, gapAlerting: true, unrepairedDrifts: 1 })).toEqual([
      'deliveries-failed',
      'push-overdue',
      'sequence-gap',
      'drift',
    ]);
  });
});

describe('what a mode lets the card know', () => {
  it('shows no pending or expiry figures for balance-only tenants', () => {
    expect(knownFacts('balance-only')).toEqual({ pendingPoints: false, expiry: false });
    expect(knownFacts('all-transaction')).toEqual({ pendingPoints: true, expiry: true });
  });
});

describe('adjustment banners', () => {
  it('has a banner for every stage, and it changes the figures exactly when the line says the balance includes it', () => {
    const stages: AdjustmentStage[] = [...DELIVERY_STATES, 'Synced', 'Confirmed'];
    for (const stage of stages) {
      const banner = sentBanner(stage);
      expect(banner.title.length, stage).toBeGreaterThan(0);
      expect(adjustmentStatus(stage, null).changesBalance, stage).toBe(stage === 'Synced' || stage === 'Confirmed');
    }
    expect(sentBanner('AwaitingConfiguration').text).toContain('not set up yet');
    expect(sentBanner('AwaitingConfiguration').text).not.toContain('not answering');
    expect(sentBanner('Confirmed').title).toBe('Confirmed by the point master');
  });
});

describe('times and durations', () => {
  it('says durations exactly', () => {
    expect(formatDuration(60_000)).toBe('1 minute');
    expect(formatDuration(59_000)).toBe('59 seconds');
    expect(formatDuration(2 * 3_600_000 + 5 * 60_000)).toBe('2 hours 5 minutes');
    expect(formatDuration(3 * 86_400_000)).toBe('3 days');
    expect(relativeTime(new Date(0), new Date(90_000))).toBe('1 minute ago');
  });

  it('writes times in the zone the page names', () => {
    const at = new Date('2026-01-15T19:31:00Z');
    expect(formatDateTime(at, 'Europe/Stockholm')).toBe('15 Jan 2026, 20:31');
    expect(formatDateTime(at)).toBe('15 Jan 2026, 19:31');
    expect(zoneLabel('Europe/Stockholm', at)).toBe('Times in Europe/Stockholm (UTC+01:00)');
    expect(zoneLabel('UTC', at)).toBe('Times in UTC');
  });
});
