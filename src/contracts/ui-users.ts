import { z } from 'zod';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../domain/passwords.ts';
import { tenantParams } from './admin.ts';
import { shortName } from './common.ts';

const username = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9._@+-]{0,99}$/, 'must be 1-100 letters, digits, ".", "_", "@", "+" or "-", starting with a letter or digit')
  .describe('Unique within the tenant; case does not matter (stored lower-case)');

const password = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `must be at least ${PASSWORD_MIN_LENGTH} characters`)
  .max(PASSWORD_MAX_LENGTH, `must be at most ${PASSWORD_MAX_LENGTH} characters`)
  .describe(`${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters; stored only as a scrypt hash`);

const displayName = shortName.describe('Shown on the card and sent to the master as UserName');

export const createUiUserBody = z.object({ username, password, displayName });
export type CreateUiUser = z.output<typeof createUiUserBody>;

export const resetPasswordBody = z.object({ password });

export const uiUser = z
  .object({
    id: z.uuid(),
    tenantId: z.uuid(),
    username: z.string(),
    displayName: z.string(),
    disabled: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'UiUser', description: 'A person who signs in to the contact card (never the password)' });

export const uiUserParams = tenantParams.extend({ id: z.uuid() });
