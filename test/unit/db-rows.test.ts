import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { adjustmentInputRow } from '../../src/db/deliveries.repository.ts';
import { parseFirstRow, parseRows } from '../../src/db/rows.ts';

describe('row parsers', () => {
  const queued = z.object({ id: z.string(), attempts: z.number().int(), dueAt: z.date().nullable() });

  it('answer the rows in their checked shape, and null for no first row', () => {
    const dueAt = new Date('2030-01-01T00:00:00.000Z');
    expect(parseRows(queued, [{ id: 'a', attempts: 0, dueAt }])).toEqual([{ id: 'a', attempts: 0, dueAt }]);
    expect(parseFirstRow(queued, [])).toBeNull();
  });

  it('refuse a row a statement left a column out of, naming the column', () => {
    // What insertForLevelChanges' RETURNING answered before it named next_attempt_at.
    expect(() => parseRows(queued, [{ id: 'a', attempts: 0 }])).toThrow(/dueAt/);
    expect(() => parseFirstRow(queued, [{ id: 'a', attempts: '0', dueAt: null }])).toThrow(/attempts/);
  });

  it('read a stored adjustment by its source, and refuse a Manual one without its user', () => {
    const common = { contact_id: 'c', definition_id: 1, amount: 25, description: 'Goodwill' };
    const automation = { ...common, source: 'Automation', reason: 'Birthday', process_id: 'p', workflow_id: 'w', workflow_name: null };
    expect(adjustmentInputRow.parse(automation)).toEqual({
      contactId: 'c',
      definitionId: 1,
      amount: 25,
      description: 'Goodwill',
      source: 'Automation',
      reason: 'Birthday',
      processId: 'p',
      workflowId: 'w',
      workflowName: '',
    });
    expect(() => adjustmentInputRow.parse({ ...common, source: 'Manual', user_id: null, user_name: 'Ada' })).toThrow(/user_id/);
  });
});
