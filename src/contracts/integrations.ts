import { z } from 'zod';
import { CONTACT_ID_PLACEHOLDER, pointsLogUrl } from '../domain/points-log.ts';
import { deliveryState } from './adjustments.ts';
import { anyCaseEnum, paging, pointFigure, storableText } from './common.ts';
import { DELIVERY_STATES } from '../domain/deliveries.ts';
import { tenantParams } from './admin.ts';

/**
 * An address of the point master. Only http(s), and no user:password part,
 * which would end up in logs. Whether its host may be reached is decided when
 * it is called, because DNS can change after it is saved.
 */
export const outboundUrl = z
  .url({ protocol: /^https?$/, error: 'must be an absolute http or https URL' })
  .max(2000)
  // zod runs refinements even when the URL check failed, so an unparsable input must pass through here quietly.
  .refine((url) => {
    const parsed = URL.canParse(url) ? new URL(url) : null;
    return !parsed || (parsed.username === '' && parsed.password === '');
  }, 'must not carry a user name or password; use the auth header instead');

const SAMPLE_CONTACT = '00000000-0000-0000-0000-000000000001';

const urlTemplate = z
  .string()
  .max(2000)
  .refine((template) => template.includes(CONTACT_ID_PLACEHOLDER), `must contain ${CONTACT_ID_PLACEHOLDER}`)
  .superRefine((template, ctx) => {
    const checked = outboundUrl.safeParse(pointsLogUrl(template, SAMPLE_CONTACT));
    if (!checked.success) ctx.addIssue({ code: 'custom', message: checked.error.issues[0]?.message ?? 'is not a valid URL' });
  });

// Headers that would let a tenant tamper with the request framing itself, and those the HTTP client (undici) refuses
// to send at all: stored, they would fail every later call as if the master were unreachable.
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'upgrade', 'te', 'trailer', 'keep-alive', 'expect']);
// What undici (after Node's _http_common) accepts in a header value: tab, printable ASCII and the rest of Latin-1.
const UNSENDABLE_VALUE_CHARACTER = /[^\t\x20-\x7e\x80-\xff]/;

/** `Authorization: Bearer abc` -> { name: 'Authorization', value: 'Bearer abc' }, the form curl's -H takes. */
const authHeader = storableText.max(4000).transform((line, ctx) => {
  const match = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*([^\r\n]*[^\s])[ \t]*$/.exec(line);
  if (!match) {
    ctx.addIssue({ code: 'custom', message: 'must be one header line, "Name: value"' });
    return z.NEVER;
  }
  const name = match[1]!;
  if (RESERVED_HEADERS.has(name.toLowerCase())) {
    ctx.addIssue({ code: 'custom', message: `${name} cannot be set` });
    return z.NEVER;
  }
  const value = match[2]!;
  if (UNSENDABLE_VALUE_CHARACTER.test(value)) {
    ctx.addIssue({ code: 'custom', message: 'the value may hold only tabs, printable ASCII and Latin-1 characters (no control characters)' });
    return z.NEVER;
  }
  return { name, value };
});

export const webhookBody = z.object({ url: outboundUrl });

export const webhookSecrets = z
  .object({
    encryptionKey: z.string().describe('32 ASCII characters: the AES-256 key of the payload. Shown only in this answer'),
    signingSecret: z.string().describe('Standard Webhooks secret (whsec_...). Shown only in this answer'),
  })
  .meta({ id: 'WebhookSecrets' });

export const webhookSetResponse = z
  .object({
    url: z.string(),
    encryptionKey: webhookSecrets.shape.encryptionKey.optional().describe('Only when the secrets were created by this call'),
    signingSecret: webhookSecrets.shape.signingSecret.optional().describe('Only when the secrets were created by this call'),
    releasedDeliveries: z.int().describe('Adjustments that were waiting for a webhook and are now on their way'),
  })
  .meta({ id: 'WebhookSet' });

export const webhookConfig = z.object({ url: z.string(), secretsCreatedAt: z.string() }).meta({ id: 'WebhookConfig' });

export const pointsLogBody = z.object({
  urlTemplate: urlTemplate.describe('For example https://master.example/points/{contactId}'),
  authHeader: authHeader.optional().describe('Sent with every call, e.g. "Authorization: Bearer <token>"'),
});

export const pointsLogConfig = z
  .object({ urlTemplate: z.string(), authHeaderName: z.string().nullable().describe('The value is never shown') })
  .meta({ id: 'PointsLogConfig' });

export const delivery = z
  .object({
    id: z.uuid().describe('The webhook event id'),
    adjustmentId: z.uuid(),
    contactId: z.string(),
    definitionId: z.int(),
    amount: pointFigure,
    source: z.enum(['Manual', 'Automation']),
    state: deliveryState,
    attempts: z.int(),
    lastStatus: z.int().nullable(),
    lastError: z.string().nullable(),
    nextAttemptAt: z.string().nullable(),
    lastAttemptAt: z.string().nullable(),
    deliveredAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'WebhookDelivery' });

export const deliveryList = z.object({ items: z.array(delivery), totalCount: z.int(), offset: z.int(), count: z.int() }).meta({ id: 'WebhookDeliveryList' });

export const deliveriesQuery = paging.extend({ state: anyCaseEnum(DELIVERY_STATES).optional() });
export const deliveryParams = tenantParams.extend({ id: z.uuid() });
export const replayAllQuery = z.object({ state: anyCaseEnum(['Failed']).default('Failed').describe('Only dead letters are replayed in bulk') });
export const replayAllResponse = z.object({ replayed: z.int() }).meta({ id: 'ReplayResult' });
