import { z } from 'zod';
import { createDefinitionBody, updateTenantBody } from './admin.ts';
import { pointsLogBody, webhookBody } from './integrations.ts';
import { ladderBody } from './levels.ts';

/**
 * The operator pages' setup forms. Each reads a browser's form post (every
 * field a string, an unchecked box absent) into the admin API's own body, and
 * checks it with that same schema, so the page and the API refuse the same
 * input with the same words.
 */

type Fields = Record<string, string | undefined>;

/**
 * A whole number as people type it ("1,000", "12 500"); anything else passes
 * on as typed, for the API's schema to refuse in its words. Empty is `empty`.
 */
function typedWhole<E>(text: string | undefined, empty: E): number | string | E {
  const value = (text ?? '').trim();
  if (value === '') return empty;
  const plain = /^\d{1,3}([,  \u202f]\d{3})+$/.test(value) ? value.replace(/[,  \u202f]/g, '') : value;
  return /^-?\d+$/.test(plain) ? Number(plain) : value;
}

/** The setup page after a form was saved: which one, for its confirmation. */
export const SETUP_FORMS = ['settings', 'definitions', 'webhook', 'points-log', 'levels'] as const;
export const setupPageQuery = z.object({ done: z.enum(SETUP_FORMS).optional() });

/** Tenant settings: time zone, limit per adjustment, default definition, expiry owner, push expectation and the switches. */
export const tenantSettingsForm = z.preprocess((body) => {
  const f = body as Fields;
  return {
    pointSystemActive: f.pointSystemActive === 'on',
    requireKnownContacts: f.requireKnownContacts === 'on',
    timeZone: (f.timeZone ?? '').trim(),
    maxAdjustmentPoints: typedWhole(f.maxAdjustmentPoints, undefined),
    defaultDefinitionId: typedWhole(f.defaultDefinitionId, null),
    expiry: f.expiry || undefined,
    expectedPushMinutes: typedWhole(f.expectedPushMinutes, null),
  };
}, updateTenantBody);

export const definitionForm = z.preprocess((body) => {
  const f = body as Fields;
  const description = (f.description ?? '').trim();
  return { id: typedWhole(f.id, undefined), name: f.name ?? '', ...(description ? { description } : {}) };
}, createDefinitionBody);

export const webhookForm = z.preprocess((body) => ({ url: ((body as Fields).url ?? '').trim() }), webhookBody);

/** The auth header is write-only: typed here, stored sealed, and never written back into a page. */
export const pointsLogForm = z.preprocess((body) => {
  const f = body as Fields;
  const authHeader = (f.authHeader ?? '').trim();
  return { urlTemplate: (f.urlTemplate ?? '').trim(), ...(authHeader ? { authHeader } : {}) };
}, pointsLogBody);

/**
 * One level a line, "key; name; threshold" (a comma or a tab also separates),
 * the thresholds strictly increasing from 0.
 */
function levelLines(text: string): { key: string; name: string; threshold: number | string }[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      // Split by commas, the threshold keeps the rest of the line: "gold, Gold, 1,000".
      const parts = /[;\t]/.test(line) ? line.split(/\s*[;\t]\s*/) : line.split(/\s*,\s*/);
      const [key = '', name = '', ...rest] = parts;
      return { key, name, threshold: typedWhole(rest.join(','), '') };
    });
}

export const ladderForm = z.preprocess((body) => {
  const f = body as Fields;
  return {
    definitionId: typedWhole(f.definitionId, undefined),
    basis: f.basis || undefined,
    window: f.windowType === 'CalendarYear' ? { type: 'CalendarYear' } : { type: 'Rolling', months: typedWhole(f.windowMonths, undefined) },
    levels: levelLines(f.levels ?? ''),
    announce: f.announce === 'on',
  };
}, ladderBody);
