import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { tenantParams } from '../contracts/admin.ts';
import { deliveriesQuery, pointsLogBody, webhookBody } from '../contracts/integrations.ts';
import { DEFAULT_TOLERANCE_SECONDS, decryptPayload, verifyWebhook } from '../domain/webhook-crypto.ts';
import type { CliCommand, CliOptions, OfflineCliCommand } from './context.ts';

const tenantOf = (o: CliOptions) => tenantParams.parse({ tenantId: o.tenant }).tenantId;

export const integrationCommands: Record<string, CliCommand> = {
  'webhook:set': {
    usage: '--tenant ID --url URL   (the first time, prints the encryption key and signing secret, once)',
    run: (s, o) => s.integrations.setWebhook(tenantOf(o), webhookBody.parse({ url: o.url }).url),
  },
  'webhook:show': { usage: '--tenant ID', run: (s, o) => s.integrations.getWebhook(tenantOf(o)) },
  'webhook:rotate': {
    usage: '--tenant ID   (prints the new encryption key and signing secret, once)',
    run: (s, o) => s.integrations.rotateWebhookSecrets(tenantOf(o)),
  },
  'points-log:set': {
    usage: '--tenant ID --url-template URL_WITH_{contactId} [--auth-header "Name: value"]',
    run: (s, o) => s.integrations.setPointsLog(tenantOf(o), pointsLogBody.parse({ urlTemplate: o['url-template'], authHeader: o['auth-header'] })),
  },
  'points-log:show': { usage: '--tenant ID', run: (s, o) => s.integrations.getPointsLog(tenantOf(o)) },
  'deliveries:list': {
    usage: '--tenant ID [--state AwaitingConfiguration|Pending|Retrying|Delivered|Failed] [--offset N] [--count N]',
    run: (s, o) => s.integrations.listDeliveries(tenantOf(o), deliveriesQuery.parse({ state: o.state, offset: o.offset, count: o.count })),
  },
  'deliveries:replay': {
    usage: '--tenant ID --id DELIVERY_ID   (a Failed or Retrying delivery; the worker sends it within seconds)',
    run: (s, o) => s.integrations.replayDelivery(tenantOf(o), z.uuid().parse(o.id)),
  },
  'deliveries:replay-failed': { usage: '--tenant ID', run: (s, o) => s.integrations.replayFailed(tenantOf(o)) },
  'secrets:rotate': {
    usage: '(re-encrypts every integration and subscription secret with SECRETS_KEY; SECRETS_KEY_PREVIOUS must hold the keys they are encrypted with now)',
    run: (s) => s.secrets.rotate(),
  },
};

const text = (name: string) => z.string({ error: `--${name} is required` }).min(1, `--${name} is required`);

/** For the point master's side: check and read a webhook with the tenant's key and secret. No database needed. */
export const webhookToolCommands: Record<string, OfflineCliCommand> = {
  'webhook:decrypt': {
    offline: true,
    usage: '--key ENCRYPTION_KEY --payload BASE64   (prints the decrypted payload)',
    async run(o) {
      const plaintext = decryptPayload(text('payload').parse(o.payload), text('key').parse(o.key));
      try {
        return JSON.parse(plaintext) as unknown;
      } catch {
        return plaintext;
      }
    },
  },
  'webhook:verify': {
    offline: true,
    usage: '--secret whsec_... --id ID --timestamp UNIX --signature "v1,..." (--body JSON | --body-file PATH) [--tolerance SECONDS]',
    async run(o) {
      // The signature covers the body byte for byte: a file must hold exactly what was received, without an added newline.
      const body = typeof o['body-file'] === 'string' ? await readFile(o['body-file'], 'utf8') : text('body').parse(o.body);
      const received = { id: text('id').parse(o.id), timestamp: text('timestamp').parse(o.timestamp), signature: text('signature').parse(o.signature), body };
      const tolerance = z.coerce.number().int().min(0).default(DEFAULT_TOLERANCE_SECONDS).parse(o.tolerance);
      const result = verifyWebhook(text('secret').parse(o.secret), received, new Date(), tolerance);
      if (!result.valid) throw new Error(`Not a valid webhook: ${result.reason}`);
      return { valid: true, id: received.id, timestamp: Number(received.timestamp) };
    },
  },
};
