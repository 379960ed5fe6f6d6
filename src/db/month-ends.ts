/**
 * The ends of the twelve calendar months before the one `now` falls in, on
 * the wall clock of `timeZone`, as a CTE `month_end(k, month, at)`: k from
 * 1 (oldest) to 12, month as 'YYYY-MM', and `at` the last microsecond of the
 * month (the instant before the next month's midnight), so an entry that
 * starts at midnight on the 1st counts in the new month and one that lapses
 * then still counts in the old. Stored times have millisecond precision, so
 * none can equal `at`. Postgres turns the local midnights into instants,
 * daylight-saving changes included.
 */
export const monthEndsCte = (now: string, timeZone: string) => `
month_end AS (
  SELECT g.k::int AS k, to_char(g.start, 'YYYY-MM') AS month,
         ((g.start + interval '1 month') AT TIME ZONE ${timeZone}) - interval '1 microsecond' AS at
    FROM generate_series(date_trunc('month', ${now} AT TIME ZONE ${timeZone}) - interval '12 months',
                         date_trunc('month', ${now} AT TIME ZONE ${timeZone}) - interval '1 month',
                         interval '1 month') WITH ORDINALITY AS g(start, k)
), month_ends AS (
  SELECT array_agg(at ORDER BY k) AS ats FROM month_end
)`;
