import { z } from 'zod';

/**
 * The rows of a query result, each checked against `schema`: a row whose shape
 * is not what the statement promises (a column renamed, left out of RETURNING,
 * of another type) fails here, naming the column, instead of travelling on
 * with a type it does not have.
 */
export const parseRows = <S extends z.ZodType>(schema: S, rows: readonly unknown[]): z.output<S>[] => rows.map((row) => schema.parse(row));

/** The first row checked against `schema`, or null when there is none. */
export const parseFirstRow = <S extends z.ZodType>(schema: S, rows: readonly unknown[]): z.output<S> | null =>
  rows.length === 0 ? null : schema.parse(rows[0]);

/** `count(*)` and other whole-number aggregates (int8 arrives as a number, see pool.ts). */
export const countRow = z.object({ n: z.number().int() });

/** A timestamp column that may be NULL. */
export const nullableDate = z.date().nullable();
