import type { Database } from '../db/database.ts';
import type { Clock } from '../domain/clock.ts';
import type { SubscriptionsService } from '../services/subscriptions.service.ts';

/** The repositories and the clock every job reads and writes through. */
export interface StoreDeps {
  db: Database;
  clock: Clock;
}

/** A job that writes balance events announces them to their subscriptions once its transaction has committed. */
export interface AnnouncingDeps extends StoreDeps {
  services: { subscriptions: Pick<SubscriptionsService, 'announce'> };
}
