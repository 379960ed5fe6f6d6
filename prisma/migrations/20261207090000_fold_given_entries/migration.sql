-- The fold of an apply costs time in proportion to the batch, not to the tenant's ledger.
--
-- It looked the entries the apply had just added up again by `id = ANY (ids)`, and
-- PL/pgSQL cached the plans of ledger_walk's statements on the worker's connections. A plan
-- made for any parameters (a generic plan), kept from when the tables were small, read such
-- a lookup as a scan of all of the tenant's entries (or checkpoints) through another index
-- that starts with tenant_id, once per account walked. On a fresh database (no statistics,
-- autovacuum off) `npm run bench` applied 2,762 rows/s, its plans reading and dropping 10,449
-- entries for each account folded (docs/performance.md, "Transactions and the lot rule").
--
-- Now:
-- - the fold is given the new entries as their inserts returned them (type ledger_added:
--   id, account, window, amount less what is netted, what is left, phase), and never
--   looks them up;
-- - ledger_walk plans its statements for each call (plan_cache_mode), with the sizes of
--   the tables as they are then. That costs a fraction of a millisecond per call, and made
--   the account read faster (bench/ledger-read.ts at 10,000 entries: p95 2.56 ms before,
--   1.61 ms after; the member level read 8.89 ms before, 4.95 ms after).
-- ledger_walk is otherwise as of migration repair_offsets.

-- A new entry as its insert returned it, for the fold (ledger.repository.ts, ADDED_ENTRY).
CREATE TYPE "ledger_added" AS (
    id BIGINT,
    account_id BIGINT,
    valid_from TIMESTAMPTZ,
    valid_to TIMESTAMPTZ,
    amount NUMERIC,
    remaining NUMERIC,
    phase SMALLINT
);

DROP FUNCTION "ledger_walk"(UUID, BIGINT[], TIMESTAMPTZ[], TIMESTAMPTZ, BIGINT[], BOOLEAN);

CREATE FUNCTION "ledger_walk"(
    p_tenant UUID,
    p_accounts BIGINT[],
    p_marks TIMESTAMPTZ[],
    p_fold_to TIMESTAMPTZ DEFAULT NULL,
    p_new ledger_added[] DEFAULT '{}',
    p_rebuild BOOLEAN DEFAULT false
) RETURNS TABLE (
    account_id BIGINT, "at" TIMESTAMPTZ, balance NUMERIC, pending NUMERIC, expires TIMESTAMPTZ, expires_amount NUMERIC,
    expiring_30 NUMERIC, expiring_60 NUMERIC, expiring_90 NUMERIC
) LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $$
#variable_conflict use_column
DECLARE
    v_expire BOOLEAN;
    v_marks INT := COALESCE(array_length(p_marks, 1), 0);
    r RECORD;
    n INT;
    k INT;
    mi INT;
    j INT;
    p INT;
    c INT;
    step_at TIMESTAMPTZ;
    step TEXT;
    bound TIMESTAMPTZ;
    -- the account being walked, in local arrays (expanded: reading an element costs the same wherever it is); f_rem is
    -- what is left of each lot as the walk goes
    e_id BIGINT[];
    e_from TIMESTAMPTZ[];
    e_to TIMESTAMPTZ[];
    e_amount NUMERIC[];
    o_phase SMALLINT[];
    o_rem NUMERIC[];
    f_phase SMALLINT[];
    f_rem NUMERIC[];
    -- its open lots, by their index in the e_ arrays: the expiring ones in a binary min-heap on (validTo, validFrom,
    -- id), hp[1] being the next in use order (hn of them); the never-expiring ones in a queue in (validFrom, id) order,
    -- live from qh to qt, used after every expiring lot
    hp INT[];
    hn INT;
    q INT[];
    qh INT;
    qt INT;
    stack INT[];
    sn INT;
    owed NUMERIC;
    total NUMERIC;
    waiting NUMERIC;
    settled TIMESTAMPTZ;
    amount NUMERIC;
    need NUMERIC;
    take NUMERIC;
    -- what a fold writes, for every account at once
    w_id BIGINT[] := '{}';
    w_phase SMALLINT[] := '{}';
    w_rem NUMERIC[] := '{}';
    x_lot BIGINT[] := '{}';
    x_account BIGINT[] := '{}';
    x_at TIMESTAMPTZ[] := '{}';
    x_amount NUMERIC[] := '{}';
    z_account BIGINT[] := '{}';
    c_account BIGINT[] := '{}';
    c_settled TIMESTAMPTZ[] := '{}';
    c_owed NUMERIC[] := '{}';
    c_next TIMESTAMPTZ[] := '{}';
BEGIN
    SELECT t.expiry = 'follower' INTO v_expire FROM tenant t WHERE t.id = p_tenant;
    IF v_expire IS NULL THEN
        RETURN;
    END IF;

    -- The usual fold needs no walk: an account that owes nothing and has nothing due gets only lots that turn active
    -- after its checkpoint (or later) and expire after now. They join the open lots whole, as the apply wrote them, so
    -- only the checkpoint moves on. Every other account is walked below.
    IF p_fold_to IS NOT NULL AND NOT p_rebuild AND cardinality(p_new) > 0 THEN
        WITH fresh AS (
            SELECT e.account_id, bool_and(e.amount > 0 AND (e.valid_to IS NULL OR e.valid_to > p_fold_to)) AS lots,
                   min(e.valid_from) FILTER (WHERE e.valid_from <= p_fold_to) AS first_from,
                   max(e.valid_from) FILTER (WHERE e.valid_from <= p_fold_to) AS last_from,
                   least(min(e.valid_to), min(e.valid_from) FILTER (WHERE e.valid_from > p_fold_to)) AS next_event
              FROM unnest(p_new) e GROUP BY e.account_id
        ), simple AS (
            SELECT f.* , c.account_id IS NULL AS first FROM fresh f
              LEFT JOIN ledger_checkpoint c ON c.tenant_id = p_tenant AND c.account_id = f.account_id
             WHERE f.lots AND (c.account_id IS NULL
                               OR (c.owed = 0 AND (c.next_event_at IS NULL OR c.next_event_at > p_fold_to)
                                   AND (f.first_from IS NULL OR f.first_from > c.settled_through)))
        ), moved AS (
            INSERT INTO ledger_checkpoint AS c (tenant_id, account_id, settled_through, owed, next_event_at, updated_at)
            SELECT p_tenant, s.account_id, COALESCE(s.last_from, '-infinity'), 0, s.next_event, p_fold_to FROM simple s ORDER BY s.account_id
            ON CONFLICT (tenant_id, account_id) DO UPDATE
               SET settled_through = greatest(c.settled_through, EXCLUDED.settled_through),
                   next_event_at = least(c.next_event_at, EXCLUDED.next_event_at), updated_at = EXCLUDED.updated_at
            RETURNING c.account_id
        )
        SELECT ARRAY(SELECT u.id FROM unnest(p_accounts) AS u(id) EXCEPT SELECT m.account_id FROM moved m) INTO p_accounts;
        IF cardinality(p_accounts) = 0 THEN
            RETURN;
        END IF;
    END IF;

    FOR r IN
        -- Each account's entries are read by its own index range (a lateral join), whatever the planner's statistics say.
        WITH fresh AS (
            SELECT e.account_id, array_agg(e.id) AS ids, min(e.valid_from) AS valid_from,
                   array_agg(e) FILTER (WHERE e.phase = 2) AS done
              FROM unnest(p_new) e GROUP BY e.account_id
        ), acc AS MATERIALIZED (
            SELECT a.id, c.settled_through, COALESCE(c.owed, 0) AS owed, COALESCE(f.ids, '{}') AS fresh, COALESCE(f.done, '{}') AS done,
                   (c.account_id IS NULL OR p_rebuild OR COALESCE(p_fold_to IS NULL AND p_marks[1] < c.settled_through, false)
                    OR COALESCE(f.valid_from <= c.settled_through, false)
                    OR EXISTS (SELECT FROM ledger_entry w WHERE w.tenant_id = p_tenant AND w.account_id = a.id AND w.phase = 0
                                  AND w.valid_from <= c.settled_through)) AS scratch
              FROM (SELECT DISTINCT u.id FROM unnest(p_accounts) AS u(id)) a
              LEFT JOIN ledger_checkpoint c ON c.tenant_id = p_tenant AND c.account_id = a.id AND c.account_id = ANY (p_accounts)
              LEFT JOIN fresh f ON f.account_id = a.id
        )
        SELECT acc.id, acc.settled_through, acc.owed, acc.scratch, x.*
          FROM acc
          LEFT JOIN LATERAL (
            SELECT array_agg(e.id ORDER BY e.event, e.ev_from, e.deduction, e.valid_to NULLS LAST, e.valid_from, e.id) AS ids,
                   array_agg(e.valid_from ORDER BY e.event, e.ev_from, e.deduction, e.valid_to NULLS LAST, e.valid_from, e.id) AS froms,
                   array_agg(e.valid_to ORDER BY e.event, e.ev_from, e.deduction, e.valid_to NULLS LAST, e.valid_from, e.id) AS tos,
                   array_agg(e.amount ORDER BY e.event, e.ev_from, e.deduction, e.valid_to NULLS LAST, e.valid_from, e.id) AS amounts,
                   array_agg(e.remaining ORDER BY e.event, e.ev_from, e.deduction, e.valid_to NULLS LAST, e.valid_from, e.id) AS rems,
                   array_agg(e.phase ORDER BY e.event, e.ev_from, e.deduction, e.valid_to NULLS LAST, e.valid_from, e.id) AS phases,
                   array_agg(e.event ORDER BY e.event, e.ev_from, e.deduction, e.valid_to NULLS LAST, e.valid_from, e.id) AS events
              FROM (SELECT y.*, CASE WHEN y.event THEN y.valid_from END AS ev_from, y.amount < 0 AS deduction FROM (
                      -- from the start: every entry is an event
                      SELECT e.id, e.valid_from, e.valid_to, e.amount - COALESCE(e.netted, 0) AS amount, e.remaining, e.phase, true AS event
                        FROM ledger_entry e
                       WHERE acc.scratch AND e.tenant_id = p_tenant AND e.account_id = acc.id AND e.type <> 'Expiry' AND e.offsets_entry_id IS NULL
                      UNION ALL
                      -- from the checkpoint: open lots are the state; waiting entries and the new ones are events
                      SELECT e.id, e.valid_from, e.valid_to, e.amount - COALESCE(e.netted, 0) AS amount, e.remaining, e.phase, e.phase = 0 OR e.id = ANY (acc.fresh)
                        FROM ledger_entry e
                       WHERE NOT acc.scratch AND e.tenant_id = p_tenant AND e.account_id = acc.id AND e.phase < 2 AND e.type <> 'Expiry'
                         AND (p_fold_to IS NOT NULL OR e.phase = 0 OR e.valid_to IS NOT NULL)
                      UNION ALL
                      -- a read needs only what is left of the never-expiring open lots in all: none of them expires, so
                      -- which of them a deduction uses changes no figure, and they are read as one lot
                      SELECT max(e.id), max(e.valid_from), NULL::timestamptz, sum(e.remaining), sum(e.remaining), 1::smallint, false
                        FROM ledger_entry e
                       WHERE NOT acc.scratch AND p_fold_to IS NULL AND e.tenant_id = p_tenant AND e.account_id = acc.id AND e.phase = 1
                         AND e.valid_to IS NULL AND e.type <> 'Expiry'
                      HAVING count(*) > 0
                      UNION ALL
                      -- the new entries already done, as the fold was given them
                      SELECT e.id, e.valid_from, e.valid_to, e.amount, e.remaining, e.phase, true
                        FROM unnest(acc.done) e
                       WHERE NOT acc.scratch) y) e
          ) x ON true
         ORDER BY acc.id
    LOOP
        n := CASE WHEN r.ids[1] IS NULL THEN 0 ELSE array_length(r.ids, 1) END;
        e_id := r.ids; e_from := r.froms; e_to := r.tos; e_amount := r.amounts;
        o_phase := r.phases; o_rem := r.rems;
        f_phase := o_phase;
        f_rem := o_rem;
        IF r.scratch THEN
            owed := 0;
            settled := '-infinity';
        ELSE
            owed := r.owed;
            settled := r.settled_through;
        END IF;
        -- the open lots of the checkpoint come first, in use order: the expiring ones, sorted, already form a heap
        k := 1;
        total := 0;
        hp := '{}'; hn := 0;
        q := '{}'; qh := 1; qt := 0;
        WHILE k <= n AND NOT r.events[k] LOOP
            total := total + f_rem[k];
            IF e_to[k] IS NULL THEN
                qt := qt + 1; q[qt] := k;
            ELSE
                hn := hn + 1; hp[hn] := k;
            END IF;
            k := k + 1;
        END LOOP;
        waiting := 0;
        FOR j IN k..n LOOP
            IF e_amount[j] > 0 THEN
                waiting := waiting + e_amount[j];
            END IF;
        END LOOP;
        mi := 1;

        LOOP
            -- the next step: a mark, an event, or the end of the fold
            IF mi <= v_marks AND (k > n OR p_marks[mi] < e_from[k]) THEN
                step := 'mark'; step_at := p_marks[mi];
            ELSIF p_fold_to IS NULL THEN
                EXIT WHEN mi > v_marks;
                step := 'event'; step_at := e_from[k];
            ELSIF k <= n AND e_from[k] <= p_fold_to THEN
                step := 'event'; step_at := e_from[k];
            ELSE
                step := 'fold'; step_at := p_fold_to;
            END IF;

            -- what is left of the lots whose validTo has come expires (they are first in use order); the heap's top
            -- leaves (the last lot takes its place and sinks to where it belongs)
            WHILE v_expire AND hn > 0 AND e_to[hp[1]] <= step_at LOOP
                p := hp[1];
                IF p_fold_to IS NOT NULL THEN
                    IF f_rem[p] > 0 THEN
                        x_lot := x_lot || e_id[p]; x_account := x_account || r.id; x_at := x_at || e_to[p]; x_amount := x_amount || f_rem[p];
                    END IF;
                    f_phase[p] := 2;
                END IF;
                total := total - f_rem[p];
                f_rem[p] := 0;
                settled := greatest(settled, e_to[p]);
                hp[1] := hp[hn]; hn := hn - 1; j := 1;
                LOOP
                    c := 2 * j;
                    EXIT WHEN c > hn;
                    IF c < hn AND (e_to[hp[c + 1]], e_from[hp[c + 1]], e_id[hp[c + 1]]) < (e_to[hp[c]], e_from[hp[c]], e_id[hp[c]]) THEN
                        c := c + 1;
                    END IF;
                    EXIT WHEN (e_to[hp[j]], e_from[hp[j]], e_id[hp[j]]) < (e_to[hp[c]], e_from[hp[c]], e_id[hp[c]]);
                    p := hp[j]; hp[j] := hp[c]; hp[c] := p; j := c;
                END LOOP;
            END LOOP;

            IF step = 'mark' THEN
                account_id := r.id; "at" := step_at; balance := total - owed; pending := waiting;
                expires_amount := 0; expiring_30 := 0; expiring_60 := 0; expiring_90 := 0;
                -- the soonest validTo after the mark among lots with something left: the heap's top, unless the master
                -- owns expiry and lots past their validTo are still open (then a search below them)
                expires := NULL;
                sn := 0;
                IF hn > 0 THEN sn := 1; stack[1] := 1; END IF;
                WHILE sn > 0 LOOP
                    j := stack[sn]; sn := sn - 1;
                    IF e_to[hp[j]] > step_at THEN
                        expires := least(expires, e_to[hp[j]]);
                    ELSE
                        IF 2 * j <= hn THEN sn := sn + 1; stack[sn] := 2 * j; END IF;
                        IF 2 * j + 1 <= hn THEN sn := sn + 1; stack[sn] := 2 * j + 1; END IF;
                    END IF;
                END LOOP;
                -- what is left of the lots expiring by then and within 90 days: a search of the heap that stops below
                -- any lot expiring later, so it costs what it finds
                IF expires IS NOT NULL THEN
                    bound := greatest(expires, step_at + interval '90 days');
                    sn := 1; stack[1] := 1;
                    WHILE sn > 0 LOOP
                        j := stack[sn]; sn := sn - 1;
                        CONTINUE WHEN e_to[hp[j]] > bound;
                        p := hp[j];
                        IF e_to[p] > step_at THEN
                            IF e_to[p] = expires THEN expires_amount := expires_amount + f_rem[p]; END IF;
                            IF e_to[p] <= step_at + interval '30 days' THEN expiring_30 := expiring_30 + f_rem[p]; END IF;
                            IF e_to[p] <= step_at + interval '60 days' THEN expiring_60 := expiring_60 + f_rem[p]; END IF;
                            IF e_to[p] <= step_at + interval '90 days' THEN expiring_90 := expiring_90 + f_rem[p]; END IF;
                        END IF;
                        IF 2 * j <= hn THEN sn := sn + 1; stack[sn] := 2 * j; END IF;
                        IF 2 * j + 1 <= hn THEN sn := sn + 1; stack[sn] := 2 * j + 1; END IF;
                    END LOOP;
                END IF;
                RETURN NEXT;
                mi := mi + 1;

            ELSIF step = 'event' THEN
                amount := e_amount[k];
                IF amount > 0 THEN
                    -- a lot turns active: it pays what is owed first, and what is left of it joins the open lots
                    waiting := waiting - amount;
                    take := least(owed, amount);
                    owed := owed - take;
                    f_rem[k] := amount - take;
                    IF amount - take > 0 THEN
                        IF e_to[k] IS NULL THEN
                            -- lots turn active in (validFrom, id) order, so a never-expiring one joins the queue's end
                            qt := qt + 1; q[qt] := k;
                        ELSE
                            -- it rises through the heap to where it belongs
                            hn := hn + 1; j := hn;
                            WHILE j > 1 AND (e_to[k], e_from[k], e_id[k]) < (e_to[hp[j / 2]], e_from[hp[j / 2]], e_id[hp[j / 2]]) LOOP
                                hp[j] := hp[j / 2]; j := j / 2;
                            END LOOP;
                            hp[j] := k;
                        END IF;
                        total := total + amount - take;
                        f_phase[k] := 1;
                    ELSE
                        f_phase[k] := 2;
                    END IF;
                ELSE
                    -- a deduction uses up open lots in use order (the heap's top, then the queue's head); what they
                    -- cannot cover is owed
                    need := -amount;
                    WHILE need > 0 AND (hn > 0 OR qh <= qt) LOOP
                        p := CASE WHEN hn > 0 THEN hp[1] ELSE q[qh] END;
                        take := least(need, f_rem[p]);
                        f_rem[p] := f_rem[p] - take;
                        need := need - take;
                        total := total - take;
                        EXIT WHEN f_rem[p] > 0;
                        f_phase[p] := 2;
                        IF hn = 0 THEN
                            qh := qh + 1;
                        ELSE
                            hp[1] := hp[hn]; hn := hn - 1; j := 1;
                            LOOP
                                c := 2 * j;
                                EXIT WHEN c > hn;
                                IF c < hn AND (e_to[hp[c + 1]], e_from[hp[c + 1]], e_id[hp[c + 1]]) < (e_to[hp[c]], e_from[hp[c]], e_id[hp[c]]) THEN
                                    c := c + 1;
                                END IF;
                                EXIT WHEN (e_to[hp[j]], e_from[hp[j]], e_id[hp[j]]) < (e_to[hp[c]], e_from[hp[c]], e_id[hp[c]]);
                                p := hp[j]; hp[j] := hp[c]; hp[c] := p; j := c;
                            END LOOP;
                        END IF;
                    END LOOP;
                    owed := owed + need;
                    f_phase[k] := 2;
                    f_rem[k] := NULL;
                END IF;
                settled := greatest(settled, step_at);
                k := k + 1;

            ELSE
                -- the end of a fold: entries after it wait; what changed is written below, for all accounts at once
                FOR j IN k..n LOOP
                    f_phase[j] := 0;
                    f_rem[j] := NULL;
                END LOOP;
                FOR j IN 1..n LOOP
                    IF f_phase[j] IS DISTINCT FROM o_phase[j] OR f_rem[j] IS DISTINCT FROM o_rem[j] THEN
                        w_id := w_id || e_id[j]; w_phase := w_phase || f_phase[j]; w_rem := w_rem || f_rem[j];
                    END IF;
                END LOOP;
                IF r.scratch THEN
                    z_account := z_account || r.id;
                END IF;
                c_account := c_account || r.id;
                c_settled := c_settled || settled;
                c_owed := c_owed || owed;
                c_next := c_next || least(CASE WHEN v_expire AND hn > 0 THEN e_to[hp[1]] END, CASE WHEN k <= n THEN e_from[k] END);
                EXIT;
            END IF;
        END LOOP;
    END LOOP;

    IF p_fold_to IS NULL THEN
        RETURN;
    END IF;

    UPDATE ledger_entry e SET phase = w.phase, remaining = w.rem
      FROM unnest(w_id, w_phase, w_rem) AS w(id, phase, rem)
     WHERE e.tenant_id = p_tenant AND e.id = w.id AND e.id = ANY (w_id);

    -- Replayed from the start: an Expiry entry whose lot no longer expires with anything left goes.
    DELETE FROM ledger_entry d
     WHERE d.tenant_id = p_tenant AND d.type = 'Expiry' AND d.account_id = ANY (z_account)
       AND NOT d.expires_entry_id = ANY (x_lot);

    INSERT INTO ledger_entry AS e (tenant_id, account_id, type, amount, source, description, transaction_date, valid_from, valid_to,
                                   expires_entry_id, phase, created_at, modified_at)
    SELECT p_tenant, x.account, 'Expiry', -x.amount, 'Expiry', format('%s points of transaction %s expired', trim_scale(x.amount), x.lot),
           x.at, x.at, NULL, x.lot, 2, p_fold_to, p_fold_to
      FROM unnest(x_lot, x_account, x_at, x_amount) AS x(lot, account, at, amount)
     ORDER BY x.lot
    ON CONFLICT (tenant_id, expires_entry_id) DO UPDATE
       SET amount = EXCLUDED.amount, description = EXCLUDED.description, modified_at = EXCLUDED.modified_at
     WHERE e.amount <> EXCLUDED.amount;

    INSERT INTO ledger_checkpoint AS c (tenant_id, account_id, settled_through, owed, next_event_at, updated_at)
    SELECT p_tenant, s.account, s.settled, s.owed, s.next, p_fold_to
      FROM unnest(c_account, c_settled, c_owed, c_next) AS s(account, settled, owed, next)
     ORDER BY s.account
    ON CONFLICT (tenant_id, account_id) DO UPDATE
       SET settled_through = EXCLUDED.settled_through, owed = EXCLUDED.owed, next_event_at = EXCLUDED.next_event_at,
           updated_at = EXCLUDED.updated_at;
END;
$$;
