import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Every line `up` prints goes through here, labelled like the lines of the processes it runs. */
export function say(label: string, text: string): void {
  for (const line of text.split('\n')) process.stdout.write(`${label.padEnd(6)} | ${line}\n`);
}

export interface Labelled {
  label: string;
  child: ChildProcess;
  /** Resolves with the exit code (null when a signal ended it). */
  exited: Promise<number | null>;
}

/**
 * Runs `node <args>` with its output labelled line by line, in a process group
 * of its own: a Ctrl-C in the terminal reaches `up` only, which then stops
 * each process exactly once (a second signal would make it exit at once).
 */
export function startLabelled(label: string, args: string[], env: NodeJS.ProcessEnv): Labelled {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on('line', (line) => say(label, line));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { label, child, exited };
}

/** SIGTERM (the processes' graceful shutdown), then waits; answers whether every one exited 0. */
export async function stopAll(processes: Labelled[]): Promise<boolean> {
  for (const { child } of processes) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  const codes = await Promise.all(processes.map((p) => p.exited));
  return codes.every((code) => code === 0);
}
