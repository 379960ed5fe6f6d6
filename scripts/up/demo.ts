import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Runtime } from '../../src/runtime.ts';

/** What `up` prints on every run; kept in `<data>/demo.json` (mode 600: it holds a key and a password). */
export interface Demo {
  tenantId: string;
  organisation: string;
  apiKey: string;
  username: string;
  password: string;
  contactId: string;
}

type Services = Runtime['services'];

function readDemo(file: string): Demo | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Demo;
  } catch {
    return undefined;
  }
}

async function tenantExists(services: Services, tenantId: string): Promise<boolean> {
  return services.admin.requireTenant(tenantId).then(
    () => true,
    () => false,
  );
}

/** A tenant named `demo`, or `demo-xxxx` when someone already made a `demo` in this database. */
async function createDemoTenant(services: Services) {
  for (const name of ['demo', `demo-${randomBytes(2).toString('hex')}`]) {
    const created = await services.admin
      .createTenant({ name, mode: 'all-transaction', pointSystemActive: true, requireKnownContacts: false })
      .catch(() => undefined);
    if (created) return created;
  }
  throw new Error('could not create a demo tenant');
}

/**
 * The demo tenant of this data folder: the one made on the first run while the
 * database still holds it (the private Postgres may come back on another port,
 * so the tenant itself is looked up), else a new one (all-transaction mode, point
 * definition 1, an API key, a contact card user, and a contact with a few
 * transactions, applied by the worker once it runs).
 */
export async function ensureDemo(services: Services, file: string): Promise<{ demo: Demo; created: boolean }> {
  const kept = readDemo(file);
  if (kept && (await tenantExists(services, kept.tenantId))) return { demo: kept, created: false };

  const tenant = await createDemoTenant(services);
  await services.admin.createDefinition(tenant.id, { id: 1, name: 'Bonus points', description: 'Demo definition made by npm run up' });
  const { key } = await services.admin.createApiKey(tenant.id, 'demo');
  const password = randomBytes(12).toString('base64url');
  await services.uiUsers.create(tenant.id, { username: 'demo', displayName: 'Demo User', password });

  const contactId = randomUUID();
  const rows = [
    { contactId, definitionId: 1, amount: 120, source: 'Purchase', description: 'Welcome purchase' },
    { contactId, definitionId: 1, amount: 50, source: 'Automation', description: 'Birthday bonus' },
    { contactId, definitionId: 1, amount: -20, source: 'Return', description: 'Returned socks' },
  ];
  const tenantRecord = await services.admin.requireTenant(tenant.id);
  await services.transactions.accept(tenantRecord, rows, undefined);

  const demo: Demo = { tenantId: tenant.id, organisation: tenant.name, apiKey: key, username: 'demo', password, contactId };
  writeFileSync(file, `${JSON.stringify(demo, null, 2)}\n`, { mode: 0o600 });
  return { demo, created: true };
}
