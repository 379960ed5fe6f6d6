import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { tenantParams } from '../contracts/admin.ts';
import { ladderBody } from '../contracts/levels.ts';
import type { CliCommand } from './context.ts';

export const levelCommands: Record<string, CliCommand> = {
  'levels:set': {
    usage: '--tenant ID --file ladder.json   (the body of PUT /admin/v1/tenants/{id}/levels)',
    run: async (s, o) => {
      const { tenantId } = tenantParams.parse({ tenantId: o.tenant });
      const file = z.string({ error: '--file is required' }).parse(o.file);
      let body: unknown;
      try {
        body = JSON.parse(await readFile(file, 'utf8'));
      } catch (err) {
        throw new Error(`${file}: ${(err as Error).message}`, { cause: err });
      }
      return s.levels.setLadder(tenantId, ladderBody.parse(body));
    },
  },
  'levels:get': { usage: '--tenant ID', run: (s, o) => s.levels.getLadder(tenantParams.parse({ tenantId: o.tenant }).tenantId) },
};
