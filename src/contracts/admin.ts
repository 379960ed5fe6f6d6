import { z } from 'zod';
import { definitionId } from './common.ts';

export const tenantMode = z.enum(['balance-only', 'all-transaction']);
export type TenantMode = z.output<typeof tenantMode>;

export const tenantName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'must be 1-100 letters, digits, ".", "_" or "-", starting with a letter or digit');

export const createTenantBody = z.object({
  name: tenantName,
  mode: tenantMode,
  pointSystemActive: z.boolean().default(true),
});

export const tenant = z
  .object({ id: z.uuid(), name: z.string(), mode: tenantMode, pointSystemActive: z.boolean() })
  .meta({ id: 'Tenant' });

export const tenantParams = z.object({ tenantId: z.uuid() });

export const createDefinitionBody = z.object({
  id: definitionId,
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).optional(),
});

export const adminDefinition = z
  .object({ id: z.int(), name: z.string(), description: z.string().nullable() })
  .meta({ id: 'AdminPointDefinition' });

export const createApiKeyBody = z.object({ name: z.string().trim().min(1).max(200) });

export const createdApiKey = z
  .object({ id: z.uuid(), name: z.string(), key: z.string().describe('Shown only in this answer; store it now') })
  .meta({ id: 'CreatedApiKey' });

export const apiKeySummary = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z.string(),
    createdAt: z.string(),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: 'ApiKey' });

export const apiKeyParams = tenantParams.extend({ id: z.uuid() });
