import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { contactParams, tenantParams } from '../contracts/admin.ts';
import { contactId, paging } from '../contracts/common.ts';
import { contactDetailFields, contactDetailsBody } from '../contracts/contacts.ts';
import type { ContactDetails } from '../domain/contacts.ts';
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

/** The CSV columns, by header; case, spaces, "_" and "-" in a header do not matter ("Member number" is memberNumber). */
const CSV_COLUMNS = ['contactId', ...Object.keys(contactDetailFields)] as const;
type CsvColumn = (typeof CSV_COLUMNS)[number];
const headerKey = (header: string) => header.replace(/[\s_-]/g, '').toLowerCase();

/** The cells of CSV text (RFC 4180: quoted cells may hold the separator, quotes doubled, and line breaks), one array per line. */
function csvRows(text: string, separator: string): { line: number; cells: string[] }[] {
  const rows: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  const endRow = () => {
    cells.push(cell);
    if (cells.some((value) => value.trim() !== '')) rows.push({ line: rowLine, cells });
    cells = [];
    cell = '';
    rowLine = line;
  };
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (char === '"') quoted = false;
      else {
        if (char === '\n') line++;
        cell += char;
      }
    } else if (char === '"' && cell.trim() === '') {
      cell = '';
      quoted = true;
    } else if (char === separator) {
      cells.push(cell);
      cell = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      line++;
      endRow();
    } else cell += char;
  }
  endRow();
  return rows;
}

/**
 * A CSV of contacts with their details: a header line naming the columns
 * (contactId, and any of displayName, email, phone, memberNumber), separated
 * by commas or, as spreadsheets in much of Europe save them, semicolons. An
 * empty cell is a detail not held. A bad line stops the import before
 * anything is written; the error names the line and column, never the value
 * (it may be personal data).
 */
export function parseContactCsv(text: string): (ContactDetails & { contactId: string })[] {
  const firstLine = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  const separator = firstLine.includes(';') && !firstLine.includes(',') ? ';' : ',';
  const [header, ...lines] = csvRows(text.replace(/^\uFEFF/, ''), separator);
  const columns = (header?.cells ?? []).map((name) => CSV_COLUMNS.find((column) => headerKey(column) === headerKey(name)));
  const unknown = (header?.cells ?? []).filter((_, i) => columns[i] === undefined);
  if (unknown.length > 0 || !columns.includes('contactId')) {
    throw new Error(
      `the header must name a contactId column and any of ${CSV_COLUMNS.slice(1).join(', ')}${unknown.length > 0 ? `; unknown: ${unknown.join(', ')}` : ''}`,
    );
  }
  const rows: (ContactDetails & { contactId: string })[] = [];
  const bad: string[] = [];
  for (const { line, cells } of lines) {
    const record: Partial<Record<CsvColumn, string>> = {};
    columns.forEach((column, i) => {
      const value = cells[i]?.trim() ?? '';
      if (column && value !== '') record[column] = value;
    });
    const id = contactId.safeParse(record.contactId);
    const details = contactDetailsBody.safeParse({ ...record, contactId: undefined });
    if (id.success && details.success) rows.push({ contactId: id.data, ...details.data });
    else {
      const issues = [
        ...(id.success ? [] : [`contactId ${record.contactId === undefined ? 'is required' : 'must be a uuid'}`]),
        ...(details.success ? [] : details.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`)),
      ];
      bad.push(`line ${line}: ${issues.join(', ')}`);
    }
  }
  if (bad.length > 0) throw new Error(`${bad.length} bad line(s), nothing imported: ${bad.slice(0, 10).join('; ')}`);
  return rows;
}

/** A file whose first line names a contactId column is a CSV of contacts with details; otherwise one contact id per line. */
const isDetailsCsv = (text: string) => /(^|[,;])\s*"?contact[\s_-]*id"?\s*([,;]|$)/i.test(text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '');

const detailOptions = (o: CliOptions) =>
  contactDetailsBody.parse({
    displayName: o['display-name'],
    email: o.email,
    phone: o.phone,
    memberNumber: o['member-number'],
  });

export const contactCommands: Record<string, CliCommand> = {
  'contacts:add': {
    usage: '--tenant ID --contact UUID',
    run: (s, o) => s.contacts.add(tenantOf(o), [contactId.parse(o.contact)]),
  },
  'contacts:import': {
    usage: '--tenant ID --file PATH   (one contact uuid per line, or a CSV whose header names contactId and any of displayName, email, phone, memberNumber)',
    run: async (s, o) => {
      const tenantId = tenantOf(o);
      const text = await readFile(z.string().min(1).parse(o.file), 'utf8');
      if (isDetailsCsv(text)) {
        const rows = parseContactCsv(text);
        let stored = 0;
        for (let i = 0; i < rows.length; i += IMPORT_CHUNK) stored += (await s.contacts.importDetails(tenantId, rows.slice(i, i + IMPORT_CHUNK))).stored;
        return { lines: rows.length, stored };
      }
      const ids = parseContactFile(text);
      const total = { lines: ids.length, added: 0, alreadyKnown: 0 };
      for (let i = 0; i < ids.length; i += IMPORT_CHUNK) {
        const result = await s.contacts.add(tenantId, ids.slice(i, i + IMPORT_CHUNK));
        total.added += result.added;
        total.alreadyKnown += result.alreadyKnown;
      }
      return total;
    },
  },
  'contacts:set': {
    usage: '--tenant ID --contact UUID [--display-name TEXT] [--email TEXT] [--phone TEXT] [--member-number TEXT]   (the details as a whole)',
    run: async (s, o) => {
      const { tenantId, contactId: id } = contactParams.parse({ tenantId: o.tenant, contactId: o.contact });
      return s.contacts.setDetails(tenantId, id, detailOptions(o));
    },
  },
  'contacts:show': {
    usage: '--tenant ID --contact UUID   (which personal fields are held, not their values)',
    run: async (s, o) => {
      const { tenantId, contactId: id } = contactParams.parse({ tenantId: o.tenant, contactId: o.contact });
      return s.contacts.get(tenantId, id);
    },
  },
  'contacts:erase': {
    usage: "--tenant ID --contact UUID   (erase the contact's personal data; its points stay)",
    run: async (s, o) => {
      const { tenantId, contactId: id } = contactParams.parse({ tenantId: o.tenant, contactId: o.contact });
      await s.contacts.erasePersonalData(tenantId, id);
      return { contactId: id, personalDataErased: true };
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
