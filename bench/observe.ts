// What the machine and Postgres were doing while requests waited: the share of
// the machine's CPU in use, and what the accept's INSERT waited for inside
// Postgres. Both explain an accept latency figure rather than add to it.
import { readFileSync } from 'node:fs';
import type pg from 'pg';

/** Busy and total CPU time of the whole machine so far, from /proc/stat (Linux); null elsewhere. */
function cpuTimes(): { busy: number; total: number } | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = fields as [number, number, number, number, number, number, number, number];
    const busy = user + nice + system + irq + softirq + steal;
    return { busy, total: busy + idle + iowait };
  } catch {
    return null;
  }
}

/**
 * The fields of /proc/<pid>/stat from the state on (so ppid is [1], utime
 * [11], stime [12], and the CPU of reaped children cutime [13] and cstime
 * [14], in clock ticks of 10 ms); null when the process is gone, or off Linux.
 */
export function processStat(pid: number | string): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  } catch {
    return null;
  }
}

/** The value at percentile `p` (0 to 100) of `sorted`, ascending; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** Starts measuring the machine's CPU; the returned function answers the busy share since then, in percent. */
export function machineCpu(): () => number | null {
  const before = cpuTimes();
  return () => {
    const after = cpuTimes();
    if (!before || !after || after.total === before.total) return null;
    return Math.round((100 * (after.busy - before.busy)) / (after.total - before.total));
  };
}

/** Wait events in which a backend waits for the WAL to reach the disk (its own flush, or another's it queues behind). */
const WAL_FLUSH = new Set(['IO:WALSync', 'IO:WALWrite', 'LWLock:WALWrite']);

export interface AcceptWaits {
  /** Samples that found an accept INSERT running (on CPU or waiting). */
  samples: number;
  /** Percent of those samples on CPU, waiting for a WAL flush, and anything else. */
  cpu: number;
  walFlush: number;
  other: number;
}

/**
 * Samples pg_stat_activity every `everyMs` for backends running the accept's
 * INSERT INTO ingest_batch, until the returned function is called. The
 * commit of an implicit transaction happens within that statement, so its
 * WAL flush is counted there too.
 */
export function sampleAcceptWaits(db: pg.Pool, everyMs = 20): () => Promise<AcceptWaits> {
  const counts = { samples: 0, cpu: 0, walFlush: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await db.query<{ wait: string | null }>(
        `SELECT wait_event_type || ':' || wait_event AS wait FROM pg_stat_activity
          WHERE datname = current_database() AND state = 'active' AND query LIKE 'INSERT INTO ingest_batch%'`,
      );
      for (const { wait } of rows) {
        counts.samples++;
        if (wait === null) counts.cpu++;
        else if (WAL_FLUSH.has(wait)) counts.walFlush++;
      }
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return async () => {
    running = false;
    await loop;
    const percent = (n: number) => (counts.samples === 0 ? 0 : Math.round((100 * n) / counts.samples));
    return {
      samples: counts.samples,
      cpu: percent(counts.cpu),
      walFlush: percent(counts.walFlush),
      other: percent(counts.samples - counts.cpu - counts.walFlush),
    };
  };
}
