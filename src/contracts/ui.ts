import { z } from 'zod';
import { contactId } from './common.ts';
import { transactionFilter } from './transactions.ts';

/** The contact card's forms and addresses. Field names are those of the HTML forms. */

export const loginForm = z.object({
  tenant: z.string().trim().min(1, 'is required').max(100),
  username: z.string().trim().min(1, 'is required').max(100),
  password: z.string().min(1, 'is required').max(1024),
  next: z.string().max(2000).optional(),
});

export const adminLoginForm = z.object({
  token: z.string().min(1, 'is required').max(1024),
  next: z.string().max(2000).optional(),
});

export const loginPageQuery = z.object({
  tenant: z.string().max(100).optional(),
  next: z.string().max(2000).optional(),
});

export const contactSearchQuery = z.object({ contactId: z.string().max(200).default('') });

export const cardParams = z.object({ contactId });

/** A history page: which account (by definition), which entries, and where in them. */
export const cardQuery = z.object({
  definition: z.coerce.number().int().positive().max(2147483647).optional(),
  filter: transactionFilter.default('All'),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

/** Rows per history page. */
export const HISTORY_PAGE_SIZE = 20;
