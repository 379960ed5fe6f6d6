import type { CreateUiUser } from '../contracts/ui-users.ts';
import type { Database } from '../db/database.ts';
import type { UiUserRecord } from '../db/ui-users.repository.ts';
import type { Clock } from '../domain/clock.ts';
import { userSubject, userThrottleKey } from '../domain/login-throttle.ts';
import { hashPassword, type ScryptParams } from '../domain/passwords.ts';
import { notFound } from '../errors.ts';
import { requireTenant, uniquely } from './guards.ts';
import { answerBeforeCommit, commitWithAnswer } from './answer-check.ts';

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
export function uiUsersService(deps: { db: Database; clock: Clock; hashing: ScryptParams }) {
  const { db, clock, hashing } = deps;
  const tenantOf = (tenantId: string) => requireTenant(db.tenants, tenantId);

  /**
   * Changes a user and, when asked, ends its sessions in the same transaction
   * and moves its session version on, so a disabled user or a reset password
   * takes effect on the very next request, a session being opened at that
   * moment included, and enabling the user again revives none.
   */
  async function change(tenantId: string, id: string, update: { disabledAt?: Date | null; passwordHash?: string }, endSessions: boolean) {
    await tenantOf(tenantId);
    const user = await db.transaction(async (tx) => {
      const changed = await tx.uiUsers.update(tenantId, id, update, clock.now(), endSessions);
      if (changed && endSessions) await tx.uiSessions.deleteForUser(tenantId, id);
      if (changed) await answerBeforeCommit(tx, toUiUser(changed));
      return changed;
    });
    if (!user) throw notFound(`User ${id}`);
    return user;
  }

  return {
    async create(tenantId: string, input: CreateUiUser) {
      await tenantOf(tenantId);
      const passwordHash = await hashPassword(input.password, hashing);
      return uniquely(
        () =>
          commitWithAnswer(db, async (tx) =>
            toUiUser(await tx.uiUsers.create({ tenantId, username: input.username, displayName: input.displayName, passwordHash }, clock.now())),
          ),
        `A user named ${input.username} already exists in this tenant`,
      );
    },

    async list(tenantId: string) {
      await tenantOf(tenantId);
      return (await db.uiUsers.list(tenantId)).map(toUiUser);
    },

    async get(tenantId: string, id: string) {
      await tenantOf(tenantId);
      const user = await db.uiUsers.find(tenantId, id);
      if (!user) throw notFound(`User ${id}`);
      return toUiUser(user);
    },

    /** Signs the user out everywhere at once; its history and the adjustments it sent stay. */
    disable: async (tenantId: string, id: string) => toUiUser(await change(tenantId, id, { disabledAt: clock.now() }, true)),

    enable: async (tenantId: string, id: string) => toUiUser(await change(tenantId, id, { disabledAt: null }, false)),

    /** Ends the user's sessions and lifts a lock-out, so the person can sign in with the new password at once. */
    async resetPassword(tenantId: string, id: string, password: string) {
      const user = await change(tenantId, id, { passwordHash: await hashPassword(password, hashing) }, true);
      const subject = { tenantId, userId: user.id };
      await db.uiSessions.clearForUser(userThrottleKey(subject), userSubject(subject));
      return toUiUser(user);
    },
  };
}

export type UiUsersService = ReturnType<typeof uiUsersService>;
