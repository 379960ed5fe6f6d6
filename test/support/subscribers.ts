import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { Subscriber } from '../../examples/subscriber/subscriber.ts';
import { ADMIN_TOKEN } from './system.ts';

const adminHeaders = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** An admin call; checks the status when `status` is given. */
export async function adminCall(app: FastifyInstance, method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: object, status?: number) {
  const response = await app.inject({ method, url: `/admin/v1${url}`, headers: adminHeaders, ...(payload && { payload }) });
  if (status !== undefined) expect(response.statusCode, response.body).toBe(status);
  return response;
}

/**
 * The reference subscriber behind a switch: while `answer` is not 204 it
 * answers that (an outage, a 410) and takes nothing.
 */
export interface TestSubscriber {
  subscriber: Subscriber;
  subscriptionId: string;
  url: string;
  signingSecret: string;
  answer: number;
  /** Requests that reached it, taken or not. */
  requests: number;
  /** Request bodies taken, as sent (one envelope, or an array in batch mode). */
  bodies: string[];
  close(): Promise<void>;
}

/**
 * Starts a subscriber on 127.0.0.1 and subscribes it to the tenant's
 * point.balance.updated (`encryptionKey`: the tenant's, for an encrypted one).
 */
export async function subscribe(
  app: FastifyInstance,
  tenantId: string,
  options: { batch?: boolean; encrypted?: boolean; encryptionKey?: string } = {},
): Promise<TestSubscriber> {
  // The subscriber is made once the follower has shown the secret; requests before that are answered 503.
  const ready: { subscriber?: Subscriber } = {};
  const bodies: string[] = [];
  const switchboard = { answer: 204, requests: 0, bodies };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      switchboard.requests++;
      if (!ready.subscriber) return response.writeHead(503).end();
      if (switchboard.answer !== 204) return response.writeHead(switchboard.answer).end();
      const body = Buffer.concat(chunks).toString('utf8');
      const status = ready.subscriber.take(request.headers, body);
      if (status === 204) switchboard.bodies.push(body);
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
  const created = await adminCall(
    app,
    'POST',
    `/tenants/${tenantId}/subscriptions`,
    { url, events: ['point.balance.updated'], batch: options.batch ?? false, encrypted: options.encrypted ?? false },
    201,
  );
  const { id, signingSecret } = created.json();
  // Times are signed as the follower's clock has them, which a test may move: any age is taken here.
  const subscriber = new Subscriber({
    signingSecret,
    toleranceSeconds: 10 * 365 * 86400,
    ...(options.encryptionKey && { encryptionKey: options.encryptionKey }),
  });
  ready.subscriber = subscriber;
  return Object.assign(switchboard, { subscriber, subscriptionId: String(id), signingSecret: String(signingSecret), url, close: () => closeServer(server) });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
