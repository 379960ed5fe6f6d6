import type { Logger } from './logger.ts';

/**
 * Runs `pass` at start and then every `intervalMs`. A pass still running when
 * the next is due is not doubled; a failed pass is logged and tried again at
 * the next interval. `stop()` waits for a pass in progress.
 */
export function runPeriodically(name: string, intervalMs: number, log: Logger, pass: () => Promise<void>): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const tick = () => {
    running ??= pass()
      .catch((err: unknown) => log.warn({ err }, `${name} failed; retrying next interval`))
      .finally(() => {
        running = undefined;
      });
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
