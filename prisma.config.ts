import { defineConfig } from 'prisma/config';

// Exported so the offline scripts in prisma/scripts share the CLI's default.
export const databaseUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/point_follower';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: databaseUrl },
});
