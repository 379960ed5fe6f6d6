import type { CreateUiUser } from '../contracts/ui-users.ts';
import { isUniqueViolation, type TenantRecord, type TenantsRepository } from '../db/tenants.repository.ts';
import type { UiSessionsRepository } from '../db/ui-sessions.repository.ts';
import type { UiUserRecord, UiUsersRepository } from '../db/ui-users.repository.ts';
import type { Clock } from '../domain/clock.ts';
import { userThrottleKey } from '../domain/login-throttle.ts';
import { hashPassword } from '../domain/passwords.ts';
import { AppError, notFound } from '../errors.ts';

const toUiUser = (user: UiUserRecord) => ({
  id: user.id,
  tenantId: user.tenantId,
  username: user.username,
  displayName: user.displayName,
  disabled: user.disabledAt !== null,
  createdAt: user.createdAt.toISOString(),
  updatedAt: user.updatedAt.toISOString(),
});

/** Contact card users as operators manage them, through the admin API and the CLI. */
export function uiUsersService(deps: { tenants: TenantsRepository; users: UiUsersRepository; sessions: UiSessionsRepository; clock: Clock }) {
  const { tenants, users, sessions, clock } = deps;

  async function requireTenant(tenantId: string): Promise<TenantRecord> {
    const tenant = await tenants.find(tenantId);
    if (!tenant) throw notFound(`Tenant ${tenantId}`);
    return tenant;
  }

  async function change(tenantId: string, id: string, update: { disabledAt?: Date | null; passwordHash?: string }, endSessions: boolean) {
    await requireTenant(tenantId);
    const user = await users.update(tenantId, id, update, clock.now(), endSessions);
    if (!user) throw notFound(`User ${id}`);
    return user;
  }

  return {
    async create(tenantId: string, input: CreateUiUser) {
      await requireTenant(tenantId);
      const passwordHash = await hashPassword(input.password);
      try {
        return toUiUser(await users.create({ tenantId, username: input.username, displayName: input.displayName, passwordHash }, clock.now()));
      } catch (err) {
        if (isUniqueViolation(err)) throw new AppError('conflict', `A user named ${input.username} already exists in this tenant`);
        throw err;
      }
    },

    async list(tenantId: string) {
      await requireTenant(tenantId);
      return (await users.list(tenantId)).map(toUiUser);
    },

    async get(tenantId: string, id: string) {
      await requireTenant(tenantId);
      const user = await users.find(tenantId, id);
      if (!user) throw notFound(`User ${id}`);
      return toUiUser(user);
    },

    /** Signs the user out everywhere at once; its history and the adjustments it sent stay. */
    disable: async (tenantId: string, id: string) => toUiUser(await change(tenantId, id, { disabledAt: clock.now() }, true)),

    enable: async (tenantId: string, id: string) => toUiUser(await change(tenantId, id, { disabledAt: null }, false)),

    /** Ends the user's sessions and lifts a lock-out, so the person can sign in with the new password at once. */
    async resetPassword(tenantId: string, id: string, password: string) {
      const tenant = await requireTenant(tenantId);
      const user = await change(tenantId, id, { passwordHash: await hashPassword(password) }, true);
      await sessions.clearFailures(userThrottleKey(tenant.name, user.username));
      return toUiUser(user);
    },
  };
}

export type UiUsersService = ReturnType<typeof uiUsersService>;
