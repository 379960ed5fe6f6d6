// Usage: npm run db:diff -- <name>
// Writes prisma/migrations/<timestamp>_<name>/migration.sql taking the schema the
// existing migrations build to the one in prisma/schema.prisma.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { databaseUrl } from '../../prisma.config.ts';
import { createDatabase, dropDatabase, ensureLockfile, migrationsDir, noFilters, readMigrations, schemaPath, withDatabase, withEngine } from './engine.ts';

async function diff(name: string): Promise<void> {
  await ensureLockfile();
  // The engine replays the migrations into a shadow database to learn where they
  // lead; a throwaway database serves as that, so no real database is touched.
  const scratchUrl = withDatabase(databaseUrl, `prisma_diff_shadow_${randomUUID().replaceAll('-', '')}`);
  await createDatabase(scratchUrl);
  const { exitCode, stdout } = await withEngine(
    scratchUrl,
    async (engine) =>
      engine.diff({
        from: { tag: 'migrations', ...(await readMigrations()) },
        to: { tag: 'schemaDatamodel', files: [{ path: schemaPath, content: await readFile(schemaPath, 'utf8') }] },
        script: true,
        exitCode: true,
        filters: noFilters,
      }),
    { selfShadow: true },
  ).finally(() => dropDatabase(scratchUrl));

  // With `exitCode` set the engine answers 2 when there is a difference.
  if (exitCode !== 2 || !stdout) {
    console.log('No difference between the migrations and prisma/schema.prisma; nothing written.');
    return;
  }
  const timestamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  const directory = path.join(migrationsDir, `${timestamp}_${name}`);
  await mkdir(directory);
  await writeFile(path.join(directory, 'migration.sql'), stdout);
  console.log(`Wrote ${path.relative(process.cwd(), path.join(directory, 'migration.sql'))}`);
}

const name = process.argv[2];
if (!name || !/^[A-Za-z0-9_]+$/.test(name)) {
  console.error('Usage: npm run db:diff -- <name>   (letters, digits and underscores)');
  process.exit(1);
}
try {
  await diff(name);
} catch (error) {
  console.error(`Diff failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
