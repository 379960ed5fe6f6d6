import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { contactParams, tenantParams } from '../contracts/admin.ts';
import { contactId, paging } from '../contracts/common.ts';
import { contactsRepository } from '../db/contacts.repository.ts';
import { tenantsRepository } from '../db/tenants.repository.ts';
import { contactsService } from '../services/contacts.service.ts';
import type { CliCommand, CliContext, CliOptions } from './context.ts';

const contacts = (context: CliContext) => contactsService(tenantsRepository(context.prisma, context.pool), contactsRepository(context.pool), context.clock);
const tenantOf = (o: CliOptions) => tenantParams.parse({ tenantId: o.tenant }).tenantId;

/** As many as one admin API call takes; a file of any length goes in such chunks (re-running an import is harmless). */
const IMPORT_CHUNK = 10_000;

/** One uuid per line; blank lines and surrounding spaces are ignored; a bad line stops the import before anything is written. */
export function parseContactFile(text: string): string[] {
  const ids: string[] = [];
  const bad: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const value = line.trim();
    if (value === '') return;
    const parsed = contactId.safeParse(value);
    if (parsed.success) ids.push(parsed.data);
    else bad.push(`line ${i + 1}: "${value.slice(0, 60)}" is not a uuid`);
  });
  if (bad.length > 0) throw new Error(`${bad.length} bad line(s), nothing imported: ${bad.slice(0, 10).join('; ')}`);
  return ids;
}

export const contactCommands: Record<string, CliCommand> = {
  'contacts:add': {
    usage: '--tenant ID --contact UUID',
    run: (c, o) => contacts(c).add(tenantOf(o), [contactId.parse(o.contact)]),
  },
  'contacts:import': {
    usage: '--tenant ID --file PATH   (one contact uuid per line)',
    run: async (c, o) => {
      const tenantId = tenantOf(o);
      const ids = parseContactFile(await readFile(z.string().min(1).parse(o.file), 'utf8'));
      const total = { lines: ids.length, added: 0, alreadyKnown: 0 };
      for (let i = 0; i < ids.length; i += IMPORT_CHUNK) {
        const result = await contacts(c).add(tenantId, ids.slice(i, i + IMPORT_CHUNK));
        total.added += result.added;
        total.alreadyKnown += result.alreadyKnown;
      }
      return total;
    },
  },
  'contacts:list': {
    usage: '--tenant ID [--offset N] [--count N]',
    run: (c, o) => contacts(c).list(tenantOf(o), paging.parse({ offset: o.offset, count: o.count })),
  },
  'contacts:remove': {
    usage: '--tenant ID --contact UUID',
    run: async (c, o) => {
      const { tenantId, contactId: id } = contactParams.parse({ tenantId: o.tenant, contactId: o.contact });
      await contacts(c).remove(tenantId, id);
      return { contactId: id, removed: true };
    },
  },
};
