// Usage: npm run db:migrate
// Creates the database if needed and applies pending migrations, with the same
// _prisma_migrations bookkeeping as `prisma migrate deploy`.
import { pathToFileURL } from 'node:url';
import { databaseUrl as configuredUrl } from '../../prisma.config.ts';
import { createDatabase, databaseName, noFilters, readMigrations, withEngine } from './engine.ts';

/** Applies the migrations `databaseUrl` lacks; returns their names. */
export async function migrateDatabase(databaseUrl: string): Promise<string[]> {
  await createDatabase(databaseUrl);
  const migrationsList = await readMigrations();
  const { appliedMigrationNames } = await withEngine(databaseUrl, (engine) => engine.applyMigrations({ migrationsList, filters: noFilters }));
  return appliedMigrationNames;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const name = databaseName(configuredUrl);
  try {
    const applied = await migrateDatabase(configuredUrl);
    console.log(applied.length ? `Applied to ${name}:\n${applied.map((migration) => `  ${migration}`).join('\n')}` : `${name} is up to date.`);
  } catch (error) {
    console.error(`Migrating ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
