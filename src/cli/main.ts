import { z } from 'zod';
import { ConfigError, loadConfig, readEnvFile } from '../config.ts';
import { AppError } from '../errors.ts';
import { createLogger } from '../logger.ts';
import { closeRuntime, createRuntime } from '../runtime.ts';
import { contactCommands } from './contacts.commands.ts';
import { type CliCommand, type OfflineCliCommand, parseArgv } from './context.ts';
import { integrationCommands, webhookToolCommands } from './integrations.commands.ts';
import { syncCommands } from './sync.commands.ts';
import { levelCommands } from './levels.commands.ts';
import { reconciliationCommands } from './reconciliations.commands.ts';
import { tenantCommands } from './tenants.commands.ts';
import { userCommands } from './users.commands.ts';

const commands: Record<string, CliCommand | OfflineCliCommand> = {
  ...tenantCommands,
  ...contactCommands,
  ...integrationCommands,
  ...webhookToolCommands,
  ...userCommands,
  ...syncCommands,
  ...levelCommands,
  ...reconciliationCommands,
};

const usage = () =>
  [
    'Usage: npm run -s cli -- <command> [options]   (JSON on stdout, errors as JSON on stderr)',
    '',
    ...Object.entries(commands).map(([name, command]) => `  ${name.padEnd(26)} ${command.usage}`),
    '',
    'Reads the same environment as the API (DATABASE_URL, REDIS_URL, ADMIN_TOKEN, ...); webhook:decrypt and webhook:verify need none of it.',
  ].join('\n');

function describe(err: unknown): string {
  if (err instanceof z.ZodError) return err.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ');
  if (err instanceof AppError || err instanceof ConfigError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgv(process.argv.slice(2));
  const command = commands[positionals[0] ?? ''];
  if (values.help || !command) {
    console.error(usage());
    return values.help ? 0 : 2;
  }
  if ('offline' in command) {
    process.stdout.write(`${JSON.stringify(await command.run(values), null, 2)}\n`);
    return 0;
  }
  readEnvFile();
  const runtime = createRuntime(loadConfig(), createLogger('warn', 'cli'));
  try {
    const result = await command.run(runtime.services, values);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } finally {
    await closeRuntime(runtime);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${JSON.stringify({ error: describe(err) })}\n`);
    process.exit(1);
  },
);
