import type { PrismaClient } from './prisma.ts';

export interface UiUserRecord {
  id: string;
  tenantId: string;
  username: string;
  displayName: string;
  disabledAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** With the password hash: only sign-in reads it. */
export interface UiUserCredentials extends UiUserRecord {
  passwordHash: string;
}

const publicFields = { id: true, tenantId: true, username: true, displayName: true, disabledAt: true, createdAt: true, updatedAt: true } as const;

export function uiUsersRepository(prisma: PrismaClient) {
  return {
    create(input: { tenantId: string; username: string; displayName: string; passwordHash: string }, now: Date): Promise<UiUserRecord> {
      return prisma.uiUser.create({ data: { ...input, createdAt: now, updatedAt: now }, select: publicFields });
    },

    list(tenantId: string): Promise<UiUserRecord[]> {
      return prisma.uiUser.findMany({ where: { tenantId }, orderBy: { username: 'asc' }, select: publicFields });
    },

    find(tenantId: string, id: string): Promise<UiUserRecord | null> {
      return prisma.uiUser.findFirst({ where: { tenantId, id }, select: publicFields });
    },

    /** The user signing in, found by tenant name and username. */
    findCredentials(tenantName: string, username: string): Promise<UiUserCredentials | null> {
      return prisma.uiUser.findFirst({ where: { username, tenant: { name: tenantName } }, select: { ...publicFields, passwordHash: true } });
    },

    /**
     * Changes a user and ends its sessions in one transaction, so a disabled
     * user or a reset password takes effect on the very next request.
     */
    async update(
      tenantId: string,
      id: string,
      change: { disabledAt?: Date | null; passwordHash?: string; displayName?: string },
      now: Date,
      endSessions: boolean,
    ): Promise<UiUserRecord | null> {
      return prisma.$transaction(async (tx) => {
        const { count } = await tx.uiUser.updateMany({ where: { tenantId, id }, data: { ...change, updatedAt: now } });
        if (count === 0) return null;
        if (endSessions) await tx.uiSession.deleteMany({ where: { userId: id } });
        return tx.uiUser.findUniqueOrThrow({ where: { id }, select: publicFields });
      });
    },
  };
}

export type UiUsersRepository = ReturnType<typeof uiUsersRepository>;
