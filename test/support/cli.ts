import { Readable, Writable } from 'node:stream';
import { runCli } from '../../src/cli/run.ts';

function collector(): { stream: Writable; text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

/**
 * Runs one CLI command line in this process, as `npm run cli` would in its
 * own (same parsing, runtime, exit codes and output), with `stdin` piped in.
 * One smoke test spawns the built CLI; the others use this.
 */
export async function runCommand(
  env: Record<string, string | undefined>,
  args: string[],
  stdin = '',
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = collector();
  const stderr = collector();
  const code = await runCli(args, { stdin: Readable.from([stdin]), stdout: stdout.stream, stderr: stderr.stream, environment: () => env });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** The io of a command called directly with the runtime's services, for commands that read no stdin. */
export const NO_STDIN = { stdin: Readable.from([]) };
