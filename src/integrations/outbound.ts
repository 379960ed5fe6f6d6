import { type LookupAddress, type LookupOptions, lookup as dnsLookup } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import { refusedAddressReason } from '../domain/outbound-address.ts';

/** Raised while connecting when the master's host is, or resolves to, an address outbound calls must not reach. */
export class OutboundAddressRefusedError extends Error {
  override name = 'OutboundAddressRefusedError';
  readonly code = 'ERR_OUTBOUND_ADDRESS_REFUSED';
  constructor(host: string, address: string, reason: string) {
    const resolved = host === address ? address : `${host} resolves to ${address}, which`;
    super(`${resolved} is a ${reason} address; calls to the point master may only go to public addresses (OUTBOUND_ALLOW_PRIVATE is off)`);
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A DNS lookup that refuses the whole host when any of its addresses is in a
 * refused range. It runs inside the connection attempt and hands the socket
 * only the addresses it checked, so a DNS answer cannot change between the
 * check and the connect (DNS rebinding).
 */
function guardedLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    for (const { address } of addresses) {
      const reason = refusedAddressReason(address);
      if (reason) return callback(new OutboundAddressRefusedError(hostname, address, reason), []);
    }
    if (options.all) return callback(null, addresses);
    const first = addresses[0];
    if (!first) return callback(Object.assign(new Error(`${hostname} has no addresses`), { code: 'ENOTFOUND' }), []);
    callback(null, first.address, first.family);
  });
}

/**
 * The dispatcher for every call to a point master. With `allowPrivate` off it
 * refuses loopback, link-local and private destinations at connect time: IP
 * literals before connecting, host names through guardedLookup. Redirects are
 * never followed (undici's request does not follow them), so a public URL
 * cannot bounce the call to an internal one.
 */
export function createOutboundAgent(options: { allowPrivate: boolean }): Dispatcher {
  if (options.allowPrivate) return new Agent();
  const connect = buildConnector({ lookup: guardedLookup });
  return new Agent({
    connect(target, callback) {
      const reason = isIP(target.hostname) ? refusedAddressReason(target.hostname) : null;
      if (reason) return callback(new OutboundAddressRefusedError(target.hostname, target.hostname, reason), null);
      connect(target, callback);
    },
  });
}

/** The refusal behind an undici error, if that is what it is (undici may wrap connect errors). */
export function refusalOf(err: unknown): OutboundAddressRefusedError | null {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof OutboundAddressRefusedError) return e;
  }
  return null;
}

/** A short, operator-readable reason for a failed call that got no answer. */
export function describeFailure(err: unknown, timedOut: boolean, timeoutMs: number): string {
  if (timedOut) return `No answer within ${timeoutMs} ms`;
  const refusal = refusalOf(err);
  if (refusal) return refusal.message;
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  const message = e.cause?.message ?? e.message ?? String(err);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

/** Reads at most `maxBytes` of a response body; `truncated` says whether there was more. */
export async function readCapped(body: AsyncIterable<Buffer> & { destroy(): unknown }, maxBytes: number): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > maxBytes) {
      body.destroy();
      return { text: Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8'), truncated: true };
    }
  }
  return { text: Buffer.concat(chunks).toString('utf8'), truncated: false };
}
