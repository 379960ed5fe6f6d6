/**
 * A deliberately unreliable link to the follower, to watch the recovery loop
 * work: each request is, at the given shares, dropped (never sent: what a
 * timeout looks like to the sender), duplicated (sent twice at once) or
 * reordered (held back until the next request has gone). Random but
 * repeatable: the same seed makes the same choices.
 */
export interface LossyOptions {
  /** Share of requests never sent, 0 to 1. */
  drop: number;
  /** Share of requests sent twice, at the same time. */
  duplicate: number;
  /** Share of requests sent after the request that follows them. */
  reorder: number;
  seed?: number;
}

export interface LinkStats {
  sent: number;
  dropped: number;
  duplicated: number;
  reordered: number;
}

/** mulberry32: a small seeded generator, enough to pick which requests to disturb. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Link {
  readonly stats: LinkStats = { sent: 0, dropped: 0, duplicated: 0, reordered: 0 };
  private readonly next: () => number;
  private held: (() => Promise<void>) | null = null;

  constructor(private readonly lossy: LossyOptions | null) {
    this.next = random(lossy?.seed ?? 1);
  }

  /**
   * Sends one request through the link. Resolves when the link is done with
   * it (sent, dropped or held back); a held request goes out after the next
   * one, or at `flush`. Failures of the request are passed to `onError`.
   */
  async send(request: () => Promise<void>, onError: (err: unknown) => void): Promise<void> {
    const attempt = async () => {
      this.stats.sent++;
      await request().catch(onError);
    };
    if (!this.lossy) return attempt();
    const roll = this.next();
    const { drop, duplicate, reorder } = this.lossy;
    const held = this.held;
    this.held = null;
    if (roll < drop) {
      this.stats.dropped++;
    } else if (roll < drop + duplicate) {
      this.stats.duplicated++;
      await Promise.all([attempt(), attempt()]);
    } else if (roll < drop + duplicate + reorder && !held) {
      this.stats.reordered++;
      this.held = attempt;
    } else {
      await attempt();
    }
    if (held) await held();
  }

  /** Sends a request still held back. */
  async flush(): Promise<void> {
    const held = this.held;
    this.held = null;
    if (held) await held();
  }
}
