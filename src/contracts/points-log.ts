import { z } from 'zod';
import type { PointsLogEntry } from '../domain/points-log.ts';
import { contactId, pointAmount } from './common.ts';

/** One line of a contact's points log, as the master must serve it and as the follower passes it on. */
const pointsLogEntry = z
  .object({
    transactionDate: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with an offset, e.g. 2023-05-08T12:06:58Z' }),
    amount: pointAmount({ nonZero: false }),
    description: z.string(),
  })
  .meta({ id: 'PointsLogEntry' }) satisfies z.ZodType<PointsLogEntry>;

/** What the master must answer: a JSON array, empty when the contact has no points yet. */
export const pointsLog = z.array(pointsLogEntry);

export const pointsLogParams = z.object({ contactId });
