import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.ts';
import type { Pool } from './pool.ts';

/** Prisma over the process's one pg pool, so CRUD and the hot-path SQL share connections. */
export function createPrisma(pool: Pool): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg(pool) });
}

export type { PrismaClient };
