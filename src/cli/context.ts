import type { Readable } from 'node:stream';
import type { Services } from '../runtime.ts';

/** `--flag value` and `--flag` options as parsed (strings, or true for bare flags); commands validate them with zod. */
export type CliOptions = Record<string, string | boolean | undefined>;

/** What a command may read besides its options: stdin (a password is piped in, never passed as an argument). */
export interface CliIo {
  stdin: Readable & { isTTY?: boolean };
}

export interface CliCommand {
  usage: string;
  run(services: Services, options: CliOptions, io: CliIo): Promise<unknown>;
}

/** A command that needs no database (tools for the point master's side); runs without the service's environment. */
export interface OfflineCliCommand {
  usage: string;
  offline: true;
  run(options: CliOptions): Promise<unknown>;
}

/** `cmd --a 1 --b=2 --flag` -> positionals [cmd], options { a: '1', b: '2', flag: true }. */
export function parseArgv(argv: readonly string[]): { positionals: string[]; values: CliOptions } {
  const positionals: string[] = [];
  const values: CliOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
    const next = argv[i + 1];
    if (inline !== undefined) values[name!] = inline;
    else if (next !== undefined && !next.startsWith('--')) values[name!] = argv[++i];
    else values[name!] = true;
  }
  return { positionals, values };
}
