// A reference subscriber to the follower's point.balance.updated events: it
// checks each request's Standard Webhooks signature, decrypts payloads sent
// encrypted, and keeps the newest figure per account by `version`, so a
// retried or late event never moves an account back. Only Node's own modules:
// copy it into any service.
import { createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface BalanceUpdated {
  balance: number;
  contactId: string;
  accountId: number;
  definitionId: number;
  balanceExpires?: string;
  version: number;
  changedAt: string;
}

interface Envelope {
  eventType: string;
  id: string;
  isEncrypted: boolean;
  payload: string | BalanceUpdated;
  tenant: string;
}

export interface SubscriberOptions {
  /** The subscription's `whsec_...` secret. */
  signingSecret: string;
  /** The tenant's 32-character encryption key, for a subscription with `encrypted: true`. */
  encryptionKey?: string;
  /** How far webhook-timestamp may be from now; 5 minutes by default. */
  toleranceSeconds?: number;
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` with the bytes after `whsec_`; any of the space-separated signatures may match. */
export function verify(secret: string, headers: IncomingMessage['headers'], body: string, toleranceSeconds = 300, now = Date.now()): boolean {
  const id = String(headers['webhook-id'] ?? '');
  const timestamp = String(headers['webhook-timestamp'] ?? '');
  const signatures = String(headers['webhook-signature'] ?? '').split(' ');
  if (!/^\d+$/.test(timestamp) || Math.abs(now / 1000 - Number(timestamp)) > toleranceSeconds) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = Buffer.from(`v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`);
  return signatures.some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/** Engage's scheme: base64(16-byte IV || AES-256-CBC ciphertext), the key's 32 ASCII characters as the key bytes. */
export function decrypt(payload: string, key: string): string {
  const bytes = Buffer.from(payload, 'base64');
  const decipher = createDecipheriv('aes-256-cbc', Buffer.from(key, 'ascii'), bytes.subarray(0, 16));
  return Buffer.concat([decipher.update(bytes.subarray(16)), decipher.final()]).toString('utf8');
}

export class Subscriber {
  /** The newest figure per account id. */
  readonly latest = new Map<number, BalanceUpdated>();
  /** Every event accepted, in arrival order (what a test or the bench looks at). */
  readonly received: { event: BalanceUpdated; at: number }[] = [];
  /** Requests refused for a bad signature. */
  refused = 0;
  /** Events that arrived older than the figure already held (never expected: the follower sends in order). */
  outOfOrder = 0;

  constructor(private readonly options: SubscriberOptions) {}

  /**
   * Takes one request body (one envelope, or an array of them in batch mode).
   * Answers the HTTP status to reply with: 204 taken, 401 bad signature, 400 unreadable.
   */
  take(headers: IncomingMessage['headers'], body: string): number {
    if (!verify(this.options.signingSecret, headers, body, this.options.toleranceSeconds)) {
      this.refused++;
      return 401;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return 400;
    }
    const at = Date.now();
    for (const envelope of (Array.isArray(parsed) ? parsed : [parsed]) as Envelope[]) {
      if (envelope.eventType !== 'point.balance.updated') continue;
      const event: BalanceUpdated =
        typeof envelope.payload === 'string' ? (JSON.parse(decrypt(envelope.payload, this.options.encryptionKey ?? '')) as BalanceUpdated) : envelope.payload;
      this.received.push({ event, at });
      const held = this.latest.get(event.accountId);
      if (held && held.version >= event.version) {
        if (held.version > event.version) this.outOfOrder++;
        continue; // a retry of what is held, or older: keep the newer figure
      }
      this.latest.set(event.accountId, event);
    }
    return 204;
  }

  /** A Node request handler around take(). */
  handle = (request: IncomingMessage, response: ServerResponse): void => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => response.writeHead(this.take(request.headers, Buffer.concat(chunks).toString('utf8'))).end());
  };

  /** Listens on 127.0.0.1 (port 0: any free port); answers the server and its URL. */
  async listen(port = 0): Promise<{ server: Server; url: string }> {
    const server = createServer(this.handle);
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const address = server.address();
    return { server, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}/events` };
  }
}
