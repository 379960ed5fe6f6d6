import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { contactParams, tenantParams } from '../contracts/admin.ts';
import { contactId, paging } from '../contracts/common.ts';
import type { CliCommand, CliOptions } from './context.ts';

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
    run: (s, o) => s.contacts.add(tenantOf(o), [contactId.parse(o.contact)]),
  },
  'contacts:import': {
    usage: '--tenant ID --file PATH   (one contact uuid per line)',
    run: async (s, o) => {
      const tenantId = tenantOf(o);
      const ids = parseContactFile(await readFile(z.string().min(1).parse(o.file), 'utf8'));
      const total = { lines: ids.length, added: 0, alreadyKnown: 0 };
      for (let i = 0; i < ids.length; i += IMPORT_CHUNK) {
        const result = await s.contacts.add(tenantId, ids.slice(i, i + IMPORT_CHUNK));
        total.added += result.added;
        total.alreadyKnown += result.alreadyKnown;
      }
      return total;
    },
  },
  'contacts:list': {
    usage: '--tenant ID [--offset N] [--count N]',
    run: (s, o) => s.contacts.list(tenantOf(o), paging.parse({ offset: o.offset, count: o.count })),
  },
  'contacts:remove': {
    usage: '--tenant ID --contact UUID',
    run: async (s, o) => {
      const { tenantId, contactId: id } = contactParams.parse({ tenantId: o.tenant, contactId: o.contact });
      await s.contacts.remove(tenantId, id);
      return { contactId: id, removed: true };
    },
  },
};
