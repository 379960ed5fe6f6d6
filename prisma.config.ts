import { existsSync } from 'node:fs';
import { defineConfig } from 'prisma/config';

// Migrations read .env like the API, the worker and the CLI; a variable set in the environment wins.
if (existsSync('.env')) process.loadEnvFile('.env');

// Exported so the offline scripts in prisma/scripts share the CLI's default.
export const databaseUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/point_follower';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: databaseUrl },
});
