import { parseArgs } from 'node:util';
import { z } from 'zod';
import { createApiKeyBody, createDefinitionBody, createTenantBody, tenantParams } from '../contracts/admin.ts';
import { ConfigError, loadDatabaseUrl } from '../config.ts';
import { createPool } from '../db/pool.ts';
import { createPrisma } from '../db/prisma.ts';
import { tenantsRepository } from '../db/tenants.repository.ts';
import { systemClock } from '../domain/clock.ts';
import { AppError } from '../errors.ts';
import { createLogger } from '../logger.ts';
import { adminService, type AdminService } from '../services/admin.service.ts';

const USAGE = `Usage: npm run -s cli -- <command> [options]   (JSON on stdout)

  tenants:create      --name NAME --mode balance-only|all-transaction [--inactive]
  tenants:list
  tenants:show        --tenant ID
  definitions:create  --tenant ID --id N --name NAME [--description TEXT]
  definitions:list    --tenant ID
  api-keys:create     --tenant ID --name NAME        (prints the key once)
  api-keys:list       --tenant ID
  api-keys:revoke     --tenant ID --id KEY_ID

Reads DATABASE_URL from the environment.`;

const options = {
  name: { type: 'string' },
  mode: { type: 'string' },
  inactive: { type: 'boolean' },
  tenant: { type: 'string' },
  id: { type: 'string' },
  description: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Options = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

const tenantOf = (o: Options) => tenantParams.parse({ tenantId: o.tenant }).tenantId;

const commands: Record<string, (admin: AdminService, o: Options) => Promise<unknown>> = {
  'tenants:create': (admin, o) => admin.createTenant(createTenantBody.parse({ name: o.name, mode: o.mode, pointSystemActive: !o.inactive })),
  'tenants:list': (admin) => admin.listTenants(),
  'tenants:show': (admin, o) => admin.requireTenant(tenantOf(o)),
  'definitions:create': (admin, o) =>
    admin.createDefinition(tenantOf(o), createDefinitionBody.parse({ id: Number(o.id), name: o.name, description: o.description })),
  'definitions:list': (admin, o) => admin.listDefinitions(tenantOf(o)),
  'api-keys:create': (admin, o) => admin.createApiKey(tenantOf(o), createApiKeyBody.parse({ name: o.name }).name),
  'api-keys:list': (admin, o) => admin.listApiKeys(tenantOf(o)),
  'api-keys:revoke': async (admin, o) => {
    const keyId = z.uuid().parse(o.id);
    await admin.revokeApiKey(tenantOf(o), keyId);
    return { id: keyId, revoked: true };
  },
};

function describe(err: unknown): string {
  if (err instanceof z.ZodError) return err.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ');
  if (err instanceof AppError || err instanceof ConfigError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ options, allowPositionals: true });
  const run = commands[positionals[0] ?? ''];
  if (values.help || !run) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  const log = createLogger('warn', 'cli');
  const pool = createPool(loadDatabaseUrl(), 2, log);
  const prisma = createPrisma(pool);
  try {
    const result = await run(adminService(tenantsRepository(prisma), systemClock), values);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } finally {
    await prisma.$disconnect();
    await pool.end();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${JSON.stringify({ error: describe(err) })}\n`);
    process.exit(1);
  },
);
