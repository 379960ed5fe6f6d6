import type { AddressInfo } from 'node:net';
import { buildPointMaster, type PointMaster, type PointMasterOptions } from '../../examples/point-master/app.ts';

/** PUT through the follower's admin API, answering the JSON body (the caller's helper checks the status). */
export type AdminPut = (path: string, body: object) => Promise<{ encryptionKey?: string; signingSecret?: string }>;

/**
 * Connects a tenant to a fresh reference master, as an operator would: set
 * the webhook (which creates the secrets), give them to the master, start it
 * on a free 127.0.0.1 port and point the webhook at it. `prepare` may add
 * hooks before it listens. Answers the master and its base URL.
 */
export async function connectPointMaster(
  adminPut: AdminPut,
  tenant: { id: string; key: string },
  options: Omit<PointMasterOptions, 'encryptionKey' | 'signingSecret' | 'followerApiKey'>,
  prepare?: (master: PointMaster) => void,
): Promise<{ master: PointMaster; url: string }> {
  // The secrets come with the first PUT; no adjustment exists yet, so nothing is sent to this placeholder.
  const secrets = await adminPut(`/tenants/${tenant.id}/webhook`, { url: 'http://127.0.0.1:9/placeholder' });
  const master = buildPointMaster({ ...options, encryptionKey: secrets.encryptionKey!, signingSecret: secrets.signingSecret!, followerApiKey: tenant.key });
  prepare?.(master);
  await master.app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(master.app.server.address() as AddressInfo).port}`;
  await adminPut(`/tenants/${tenant.id}/webhook`, { url: `${url}/webhooks/engage` });
  return { master, url };
}
