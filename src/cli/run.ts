import type { Writable } from 'node:stream';
import { z } from 'zod';
import { ConfigError, loadConfig } from '../config.ts';
import { onePerField } from '../domain/messages.ts';
import { AppError } from '../errors.ts';
import { createLogger } from '../logger.ts';
import { closeRuntime, createRuntime } from '../runtime.ts';
import { contactCommands } from './contacts.commands.ts';
import { type CliCommand, type CliIo, type OfflineCliCommand, parseArgv } from './context.ts';
import { integrationCommands, webhookToolCommands } from './integrations.commands.ts';
import { syncCommands } from './sync.commands.ts';
import { levelCommands } from './levels.commands.ts';
import { subscriptionCommands } from './subscriptions.commands.ts';
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
  ...subscriptionCommands,
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
  if (err instanceof z.ZodError)
    return onePerField(err.issues.map((i) => ({ path: i.path.join('.') || 'input', message: i.message })))
      .map((i) => `${i.path} ${i.message}`)
      .join('; ');
  if (err instanceof AppError && err.errors && err.errors.length > 0) return `${err.message}: ${err.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`;
  if (err instanceof AppError || err instanceof ConfigError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

/** Where a CLI run reads and writes: the process's own streams in main.ts, buffers when a test runs a command in its own process. */
export interface CliStreams extends CliIo {
  stdout: Writable;
  stderr: Writable;
  /** The environment, read only by commands that need the service's (offline ones do not). */
  environment(): Record<string, string | undefined>;
}

/** Runs one command line and answers its exit code: 0 done, 1 refused or failed (a JSON error on stderr), 2 usage. */
export async function runCli(argv: readonly string[], io: CliStreams): Promise<number> {
  const write = (stream: Writable, value: unknown) => stream.write(`${JSON.stringify(value, null, 2)}\n`);
  try {
    const { values, positionals } = parseArgv(argv);
    const command = commands[positionals[0] ?? ''];
    if (values.help || !command) {
      io.stderr.write(`${usage()}\n`);
      return values.help ? 0 : 2;
    }
    if ('offline' in command) {
      write(io.stdout, await command.run(values));
      return 0;
    }
    // Log lines go to stderr: stdout carries only the command's JSON answer.
    const runtime = createRuntime(loadConfig(io.environment()), createLogger('warn', 'cli', io.stderr));
    try {
      write(io.stdout, await command.run(runtime.services, values, io));
      return 0;
    } finally {
      await closeRuntime(runtime);
    }
  } catch (err) {
    io.stderr.write(`${JSON.stringify({ error: describe(err) })}\n`);
    return 1;
  }
}
