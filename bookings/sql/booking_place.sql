-- One round trip per booking (#19): the rules, the places, the queue numbers, the
-- bookings, their events and their confirmations' outbox rows, for one person or a
-- family (all or nothing, one day), in one call of `booking_place(request jsonb)`.
-- Created by bookings/migrations/0010_booking_place_function.py, which reads this
-- file; bookings/services/allocation.py (`booking_create_family`) builds the request
-- and maps a refusal to the existing exception and its bilingual message.
--
-- What stays in Python, and why: the shape of the input (names, birth dates, the
-- family's checks, the phone's form), the priority claims read from birth dates, the
-- office calendar (a day without slot rows is planned from opening hours and the
-- national holidays of the `holidays` package, offices.services.slots_ensure), and
-- the wording of every message (gettext): a confirmation's text arrives worded, with
-- markers (chr(1) + a letter) where the code, queue number and times go, filled here.
--
-- Locks, in the order every booking path takes them (bookings/services/actor.py):
--   1. advisory locks: the phone, each person (name + birth date, NIK) and the hold
--      client, exclusive; the office-day, shared (a closure of the day takes it
--      exclusive and waits for the day's bookings). The ids come from Python
--      (immigration.locks.lock_ids, the same hash every other path uses), sorted.
--      They serialise the anti-calo rules, which span rows that may not exist yet.
--   2. slot rows of the day (FOR UPDATE, in start order), SKIP LOCKED first for a
--      single booking so a rush spreads over the day's slots instead of queueing on
--      one row;
--   3. held booking rows released here (lapsed, or overridden by a proven phone),
--      with SKIP LOCKED, never waiting: another transaction holding one is confirming
--      or releasing it.
-- Reads before the locks (the day's room, the rules of time) take none: a sold-out
-- day is refused on one indexed read, so the last places are not queued behind the
-- refusals.
--
-- A refusal is returned, not raised: {"refused": code, ...detail}. The caller raises
-- its exception, which rolls back whatever this call changed (lapsed holds released).


-- The capacity rule, written once: a priority booking (one with a person UU 25/2009
-- names, bookings/priority.py) may take every free place of a slot; any other only
-- those not kept for priority (Slot.priority_kept, waitlist.PriorityQuota).
CREATE OR REPLACE FUNCTION booking_slot_room(
    capacity integer, booked integer, priority_kept integer, priority boolean
) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT capacity - booked - CASE WHEN priority THEN 0 ELSE priority_kept END $$;


-- The day's room as a booking made at `at` counts it, among its slots that have not
-- started: slots on offer (0: the day has no slot rows, or a closure retired them),
-- places left under the capacity rule for such a booking, places left for a priority
-- booking, lapsed holds not yet released by the sweep, and those of them in slots
-- that have not started (free places: a booking releases them itself). No lock.
-- PL/pgSQL, not SQL, for its plan cache: PostgreSQL (15) plans a SQL function called
-- in FROM again at every call, which cost each booking more than the query (#19,
-- bench/README.md "The booking call's plans").
CREATE OR REPLACE FUNCTION booking_day_room(
    office bigint, day date, at timestamptz, priority boolean,
    OUT offered integer, OUT places_left integer, OUT anyone integer,
    OUT lapsed integer, OUT lapsed_free integer
)
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    SELECT count(*)::integer,
           coalesce(sum(booking_slot_room(s.capacity, s.booked, s.priority_kept, booking_day_room.priority)), 0)::integer,
           coalesce(sum(booking_slot_room(s.capacity, s.booked, s.priority_kept, true)), 0)::integer,
           (SELECT count(*) FROM bookings_booking b
             WHERE b.office_id = booking_day_room.office AND b.date = booking_day_room.day
               AND b.status = 'held' AND b.hold_expires_at <= booking_day_room.at)::integer,
           (SELECT count(*) FROM bookings_booking b JOIN offices_slot t ON t.id = b.slot_id
             WHERE b.office_id = booking_day_room.office AND b.date = booking_day_room.day
               AND b.status = 'held' AND b.hold_expires_at <= booking_day_room.at
               AND t.starts_at > booking_day_room.at)::integer
      INTO offered, places_left, anyone, lapsed, lapsed_free
      FROM offices_slot s
     WHERE s.office_id = booking_day_room.office AND s.date = booking_day_room.day
       AND s.starts_at > booking_day_room.at AND s.capacity > 0;
END
$$;


-- The day's highest queue number among bookings holding a place (0 for none).
-- PL/pgSQL for its plan cache, as booking_day_room.
CREATE OR REPLACE FUNCTION booking_day_top_seq(office bigint, day date) RETURNS integer
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN (SELECT coalesce(max(b.queue_seq), 0) FROM bookings_booking b
             WHERE b.office_id = booking_day_top_seq.office AND b.date = booking_day_top_seq.day
               AND b.status IN ('held', 'booked', 'checked_in', 'submitted', 'paid', 'ready', 'collected'));
END
$$;


-- The lowest free queue numbers of a slot's range (queue_base + 1 .. queue_base +
-- capacity); numbers follow slot order. When the range has too few (the day was
-- re-planned and ranges moved), the next ones after the day's last. Takes no lock:
-- the caller holds the slot's row lock, which is what keeps two bookings of the slot
-- from choosing the same number.
-- The usual case, a range filled from its start without gaps, is read from the range's
-- count and highest number (one index-only scan); a range with gaps (a cancellation)
-- is searched. Its plans are generic: the search's custom plan (chosen by PostgreSQL
-- for its generate_series) was planned again at every booking, 0.8 ms of PostgreSQL
-- for a query of 0.1 (#19, bench/README.md "Session 12").
CREATE OR REPLACE FUNCTION booking_queue_seqs(
    office bigint, day date, queue_base integer, capacity integer, how_many integer
) RETURNS integer[]
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    free integer[];
    top integer;
    used integer;
BEGIN
    SELECT count(*)::integer, coalesce(max(queue_seq), queue_base) INTO used, top
      FROM bookings_booking
     WHERE office_id = office AND date = day
       AND status IN ('held', 'booked', 'checked_in', 'submitted', 'paid', 'ready', 'collected')
       AND queue_seq BETWEEN queue_base + 1 AND queue_base + capacity;
    IF used = top - queue_base AND top + how_many <= queue_base + capacity THEN
        RETURN ARRAY(SELECT generate_series(top + 1, top + how_many));
    END IF;
    SELECT coalesce(array_agg(n ORDER BY n), '{}') INTO free FROM (
        SELECT n FROM generate_series(queue_base + 1, queue_base + capacity) AS n
        EXCEPT
        SELECT queue_seq FROM bookings_booking
         WHERE office_id = office AND date = day
           AND status IN ('held', 'booked', 'checked_in', 'submitted', 'paid', 'ready', 'collected')
           AND queue_seq BETWEEN queue_base + 1 AND queue_base + capacity
        ORDER BY 1 LIMIT how_many
    ) AS f;
    IF cardinality(free) < how_many THEN
        top := greatest(booking_day_top_seq(office, day), queue_base + capacity);
        free := free || ARRAY(SELECT generate_series(top + 1, top + how_many - cardinality(free)));
    END IF;
    RETURN free;
END
$$;


-- A confirmation's worded text with its markers filled: chr(1) followed by C (the
-- booking code as printed), Q (the queue number), T (the slot's time), A (the time to
-- arrive by).
CREATE OR REPLACE FUNCTION booking_fill(
    text text, code text, queue text, at_time text, arrive text
) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
SELECT replace(replace(replace(replace(text,
    chr(1) || 'C', code), chr(1) || 'Q', queue), chr(1) || 'T', at_time), chr(1) || 'A', arrive)
$$;


-- The per-phone limit, written once (booking_place, and the confirmation of a hold in
-- bookings/services/holds.py): a phone holds at most `phone_max` upcoming bookings.
-- Adding `adding` bookings: refused (NULL) when the count goes over; a hold counts
-- unless the phone is proven (`verified`), and a lapsed hold never. Otherwise the ids
-- of the phone's live holds (other than `not_these`, the holds being confirmed) that
-- must give way to a proven phone's bookings, the newest first to go. The caller holds
-- the phone's advisory lock.
CREATE OR REPLACE FUNCTION booking_phone_limit(
    phone text, at timestamptz, adding integer, verified boolean, phone_max integer,
    not_these bigint[] DEFAULT '{}'
) RETURNS bigint[]
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    confirmed integer;
    holds bigint[];
    excess integer;
BEGIN
    SELECT count(*) FILTER (WHERE b.status = 'booked'),
           coalesce(array_agg(b.id ORDER BY b.id) FILTER (WHERE b.status = 'held'), '{}')
      INTO confirmed, holds
      FROM bookings_booking b
     WHERE b.phone = booking_phone_limit.phone AND b.status IN ('booked', 'held')
       AND (b.status <> 'held' OR b.hold_expires_at > at)
       AND b.id <> ALL(not_these);
    IF confirmed + (CASE WHEN verified THEN 0 ELSE cardinality(holds) END) + adding > phone_max THEN
        RETURN NULL;
    END IF;
    excess := confirmed + cardinality(holds) + adding - phone_max;
    IF verified AND excess > 0 THEN
        RETURN holds[cardinality(holds) - excess + 1 :];
    END IF;
    RETURN '{}';
END
$$;


-- The release gate's stub: first come everywhere. The release app (the draw) replaces
-- it with its rule (release/sql/release_gate.sql), whichever migration runs first:
-- this creates it only when it is missing. NULL: first come; 'released': the draw
-- released the day; 'in_draw': a draw holds it.
DO $do$
BEGIN
    IF to_regprocedure('booking_release_gate(bigint, date, boolean)') IS NULL THEN
        CREATE FUNCTION booking_release_gate(office bigint, day date, draw_placing boolean)
        RETURNS text LANGUAGE sql STABLE AS 'SELECT NULL::text';
    END IF;
END
$do$;


-- Its statements' plans are generic (cached per connection): two of them (the slots'
-- rows by id, the client's live holds) were planned again at every booking otherwise.
-- (The lock_timeout it sets with set_config(..., true) still lasts the transaction.)
CREATE OR REPLACE FUNCTION booking_place(p jsonb) RETURNS jsonb
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_office    bigint := (p->>'office')::bigint;
    v_day       date := (p->>'day')::date;
    v_now       timestamptz := (p->>'now')::timestamptz;
    v_created   timestamptz := (p->>'created')::timestamptz;
    v_phone     text := p->>'phone';
    v_verified  boolean := (p->>'verified')::boolean;
    v_client    text := CASE WHEN (p->>'verified')::boolean THEN '' ELSE coalesce(p->>'client', '') END;
    v_priority  boolean := (p->>'priority')::boolean;
    v_slot_id   bigint := (p->>'slot')::bigint;
    v_limits    jsonb := p->'limits';
    v_notice    jsonb := p->'notice';
    v_n         integer := jsonb_array_length(p->'people');
    v_names     text[];
    v_births    date[];
    v_niks      text[];
    v_claims    text[];
    v_codes     text[] := ARRAY(SELECT jsonb_array_elements_text(p->'codes'));
    v_code_at   integer := 1;
    v_holding   text[] := ARRAY['held', 'booked', 'checked_in', 'submitted', 'paid', 'ready', 'collected'];
    v_o         record;
    v_local     timestamp;
    v_today     date;
    rm          record;
    r           record;
    s           record;
    v_over      bigint[] := '{}';
    v_found     bigint[];
    v_released  bigint[];
    v_freed     boolean := false;
    v_elsewhere bigint[] := '{}';
    v_chosen    record;
    v_chosen_at timestamptz;           -- the chosen slot's start, for a family
    v_alloc     bigint[] := '{}';      -- one slot id per place, in the people's order
    v_locked    bigint[] := '{}';      -- the family's locked slots, in start order
    v_kept      integer[] := '{}';     -- their priority_kept as locked
    v_unused    integer := 0;
    v_take      integer;
    v_slots     jsonb := '{}';         -- slot id -> its row (after the counters moved)
    v_seqs      jsonb := '{}';         -- slot id -> its queue numbers for this request
    v_seq       integer;
    v_status    text;
    v_group     text := '';
    v_row       bookings_booking;
    v_rows      jsonb := '[]';
    v_outbox    bigint[] := '{}';
    v_outbox_id bigint;
    v_queue     text;
    v_start     timestamptz;
    v_zone      text;
    v_label     text := coalesce(p->>'zone_label', '');
    v_gate      text;
    v_tries     integer := 0;
BEGIN
    SELECT array_agg(x.name ORDER BY x.i), array_agg(x.birth_date ORDER BY x.i),
           array_agg(coalesce(x.nik, '') ORDER BY x.i), array_agg(coalesce(x.claim, '') ORDER BY x.i)
      INTO v_names, v_births, v_niks, v_claims
      FROM ROWS FROM (jsonb_to_recordset(p->'people') AS (name text, birth_date date, nik text, claim text))
           WITH ORDINALITY AS x(name, birth_date, nik, claim, i);

    -- The rules of time: office active, not a past day, today only before the cut-off,
    -- released (the draw's gate may have released it already: `released`).
    SELECT id, is_active, timezone, same_day_cutoff, booking_window_days, release_time
      INTO v_o FROM offices_office WHERE id = v_office;
    IF NOT v_o.is_active THEN
        RETURN jsonb_build_object('refused', 'office_inactive');
    END IF;
    v_zone := v_o.timezone;
    v_local := v_now AT TIME ZONE v_zone;
    v_today := v_local::date;
    IF v_day < v_today THEN
        RETURN jsonb_build_object('refused', 'date_past');
    END IF;
    IF v_day = v_today AND (v_o.same_day_cutoff IS NULL OR v_local::time >= v_o.same_day_cutoff) THEN
        RETURN jsonb_build_object('refused', 'same_day_closed');
    END IF;
    -- The draw's gate (booking_release_gate, release/sql/release_gate.sql): a day a
    -- draw holds is refused to first come; one it has placed counts as released.
    v_gate := booking_release_gate(v_office, v_day, coalesce((p->>'placing')::boolean, false));
    IF v_gate = 'in_draw' THEN
        RETURN jsonb_build_object('refused', 'day_in_draw');
    END IF;
    -- The release window is written once, in office_released_through
    -- (offices/sql/release_window.sql), which the calendar reads too.
    IF v_gate IS DISTINCT FROM 'released'
       AND v_day > office_released_through(v_zone, v_o.booking_window_days, v_o.release_time, v_now) THEN
        RETURN jsonb_build_object('refused', 'not_released');
    END IF;

    -- The day's room, before any lock: a full day is refused here.
    SELECT * INTO rm FROM booking_day_room(v_office, v_day, v_now, v_priority);
    IF rm.offered = 0 AND NOT coalesce((p->>'planned')::boolean, false) THEN
        RETURN jsonb_build_object('refused', 'unplanned');
    END IF;
    IF rm.offered > 0 AND rm.places_left + rm.lapsed_free < v_n THEN
        RETURN jsonb_build_object('refused', 'day_full', 'early', true,
                                  'anyone', rm.anyone + rm.lapsed_free);
    END IF;

    -- 1. The advisory locks, exclusive ones first, in the caller's (sorted) order,
    -- each bounded by lock_timeout (a wait past it raises lock_not_available: "busy").
    PERFORM set_config('lock_timeout', p->>'lock_timeout', true);
    PERFORM CASE WHEN l.shared THEN pg_advisory_xact_lock_shared(l.id)::text
                 ELSE pg_advisory_xact_lock(l.id)::text END
       FROM unnest(ARRAY(SELECT jsonb_array_elements_text(p->'locks'))::bigint[],
                   ARRAY(SELECT jsonb_array_elements_text(p->'shared'))::boolean[])
            WITH ORDINALITY AS l(id, shared, n)
      ORDER BY l.n;

    -- The anti-calo rules, under those locks. A lapsed hold counts nowhere. A hold
    -- counts in every rule when the request is a hold too; a proven phone (`verified`)
    -- counts only confirmed bookings and overrides the holds in its way.
    -- (a) The phone's upcoming bookings and live holds (the holds it overrides).
    v_over := booking_phone_limit(v_phone, v_now, v_n, v_verified, (v_limits->>'phone_max')::integer);
    IF v_over IS NULL THEN
        RETURN jsonb_build_object('refused', 'limit_reached');
    END IF;
    -- (b) One person, one live booking a day (at any office). The refusal names the
    -- person as the request gave them (their index), never the stored holder.
    -- Two index lookups, by person (booking_person_date_idx) and by NIK
    -- (booking_nik_date_idx), not an OR of the two: PostgreSQL cannot split an OR of
    -- two semi-joins, and read every booking of the day nationwide instead
    -- (bench/README.md, "Session 12: indexes of the hot tables").
    FOR r IN
        SELECT b.id, b.office_id, b.status,
               (SELECT min(x.i) FROM unnest(v_names, v_births, v_niks) WITH ORDINALITY AS x(name, birth_date, nik, i)
                 WHERE (b.name = x.name AND b.birth_date = x.birth_date)
                    OR (x.nik <> '' AND b.nik = x.nik)) AS idx
          FROM bookings_booking b
         WHERE b.id IN (
                SELECT b2.id FROM unnest(v_names, v_births) AS x(name, birth_date)
                  JOIN bookings_booking b2 ON b2.name = x.name AND b2.birth_date = x.birth_date
                                          AND b2.date = v_day
                UNION ALL
                SELECT b3.id FROM unnest(v_niks) AS k
                  JOIN bookings_booking b3 ON b3.nik = k AND b3.nik <> '' AND b3.date = v_day
                 WHERE k <> '')
           AND b.status = ANY(v_holding)
           AND (b.status <> 'held' OR b.hold_expires_at > v_now)
         ORDER BY b.queue_seq, b.id
    LOOP
        IF v_verified AND r.status = 'held' THEN
            v_over := v_over || r.id;
            CONTINUE;
        END IF;
        RETURN jsonb_build_object('refused', 'duplicate_booking', 'index', r.idx - 1,
                                  'same_office', r.office_id = v_office);
    END LOOP;
    -- (c) No-shows: BOOKING_NO_SHOW_LIMIT forfeited bookings within the window block
    -- the person (by name and birth date) until the latest one + the block.
    FOR r IN
        SELECT x.i, count(b.id) AS missed, max(b.date) AS latest
          FROM unnest(v_names, v_births) WITH ORDINALITY AS x(name, birth_date, i)
          JOIN bookings_booking b ON b.name = x.name AND b.birth_date = x.birth_date
         WHERE b.status = 'expired'
           AND b.date >= v_today - (v_limits->>'no_show_window_days')::integer
         GROUP BY x.i ORDER BY x.i
    LOOP
        IF r.missed >= (v_limits->>'no_show_limit')::integer
           AND v_today <= r.latest + (v_limits->>'no_show_block_days')::integer THEN
            RETURN jsonb_build_object('refused', 'no_show_blocked', 'index', r.i - 1,
                'count', r.missed, 'until', r.latest + (v_limits->>'no_show_block_days')::integer);
        END IF;
    END LOOP;
    -- (d) A client (a network, an API key) holds at most BOOKING_HOLD_CLIENT_MAX live
    -- holds: one client typing invented numbers holds a handful of places, never more.
    IF v_client <> '' AND (
        SELECT count(*) FROM bookings_booking
         WHERE status = 'held' AND hold_client = v_client AND hold_expires_at > v_now
    ) + v_n > (v_limits->>'client_max')::integer THEN
        RETURN jsonb_build_object('refused', 'hold_limit_reached');
    END IF;

    -- The day's lapsed holds, and the holds this proven phone overrides, are released
    -- first, so their places and people are free for this booking (correctness does
    -- not wait for the sweep). 2. all of the day's slots in start order, then 3. the
    -- held rows with SKIP LOCKED. Holds overridden on other days or at other offices
    -- are returned (`elsewhere`): the caller releases them in a transaction of their
    -- own after this one commits, so this one never waits on another day's slots.
    IF rm.lapsed > 0 OR cardinality(v_over) > 0 THEN
        SELECT coalesce(array_agg(id), '{}') INTO v_found FROM bookings_booking
         WHERE office_id = v_office AND date = v_day AND status = 'held'
           AND (hold_expires_at <= v_now OR id = ANY(v_over));
        IF cardinality(v_found) > 0 THEN
            PERFORM 1 FROM offices_slot WHERE office_id = v_office AND date = v_day
              ORDER BY starts_at FOR UPDATE;
            WITH locked AS (
                SELECT id, slot_id FROM bookings_booking
                 WHERE id = ANY(v_found) AND status = 'held'
                 ORDER BY id FOR UPDATE SKIP LOCKED
            ), released AS (
                UPDATE bookings_booking b SET status = 'released', updated_at = v_now
                  FROM locked WHERE b.id = locked.id RETURNING b.id, b.slot_id
            ), counters AS (
                UPDATE offices_slot t SET booked = t.booked - c.n
                  FROM (SELECT slot_id, count(*)::integer AS n FROM released GROUP BY slot_id) AS c
                 WHERE t.id = c.slot_id RETURNING t.id
            ), events AS (
                INSERT INTO bookings_bookingevent
                    (booking_id, from_status, to_status, actor_kind, actor_user_id,
                     actor_client_id, actor_label, channel, note, created_at)
                SELECT id, 'held', 'released', 'system', NULL, NULL, '', 'system', 'released', v_created
                  FROM released RETURNING booking_id
            )
            -- (Every data-modifying WITH runs to completion, read or not.)
            SELECT coalesce(array_agg(booking_id), '{}') INTO v_released FROM events;
            v_freed := cardinality(v_released) > 0;
        END IF;
        SELECT coalesce(array_agg(e), '{}') INTO v_elsewhere
          FROM unnest(v_over) AS e WHERE NOT e = ANY(v_found);
    END IF;

    -- The places. 2. slot rows, locked in start order (a chosen slot first).
    IF v_slot_id IS NOT NULL THEN
        SELECT * INTO v_chosen FROM offices_slot
         WHERE id = v_slot_id AND office_id = v_office AND date = v_day AND starts_at > v_now
           FOR UPDATE;
        IF NOT FOUND THEN
            RETURN jsonb_build_object('refused', 'invalid_slot');
        END IF;
        v_chosen_at := v_chosen.starts_at;
        IF v_n = 1 THEN
            IF booking_slot_room(v_chosen.capacity, v_chosen.booked, v_chosen.priority_kept, v_priority) <= 0 THEN
                RETURN jsonb_build_object('refused', 'slot_full', 'starts_at', v_chosen.starts_at);
            END IF;
            UPDATE offices_slot SET booked = booked + 1,
                   priority_kept = CASE WHEN v_priority THEN greatest(priority_kept - 1, 0) ELSE priority_kept END
             WHERE id = v_chosen.id;
            v_alloc := ARRAY[v_chosen.id];
        END IF;
    ELSIF v_n = 1 THEN
        -- The rush's request: one statement chooses, locks and counts the earliest slot
        -- with room (a kept one first for a priority booking, which uses it up).
        -- SKIP LOCKED first; if every slot with room is being booked this instant, wait
        -- for the earliest (PostgreSQL re-checks the room once it is granted).
        UPDATE offices_slot SET booked = booked + 1,
               priority_kept = CASE WHEN v_priority THEN greatest(priority_kept - 1, 0) ELSE priority_kept END
         WHERE id = (
            SELECT id FROM offices_slot
             WHERE office_id = v_office AND date = v_day AND starts_at > v_now
               AND booking_slot_room(capacity, booked, priority_kept, v_priority) > 0
             ORDER BY CASE WHEN v_priority THEN priority_kept > 0 ELSE false END DESC, starts_at
             LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING id INTO v_slot_id;
        IF v_slot_id IS NULL THEN
            UPDATE offices_slot SET booked = booked + 1,
                   priority_kept = CASE WHEN v_priority THEN greatest(priority_kept - 1, 0) ELSE priority_kept END
             WHERE id = (
                SELECT id FROM offices_slot
                 WHERE office_id = v_office AND date = v_day AND starts_at > v_now
                   AND booking_slot_room(capacity, booked, priority_kept, v_priority) > 0
                 ORDER BY CASE WHEN v_priority THEN priority_kept > 0 ELSE false END DESC, starts_at
                 LIMIT 1 FOR UPDATE)
               AND booking_slot_room(capacity, booked, priority_kept, v_priority) > 0
            RETURNING id INTO v_slot_id;
        END IF;
        IF v_slot_id IS NULL THEN
            RETURN jsonb_build_object('refused', 'day_full', 'early', false);
        END IF;
        v_alloc := ARRAY[v_slot_id];
    END IF;

    IF cardinality(v_alloc) = 0 THEN
        -- A family: consecutive places, from the chosen (or earliest) slot on. Every
        -- candidate slot is locked in start order, the same order as everyone else.
        FOR s IN
            SELECT id, priority_kept,
                   booking_slot_room(capacity, booked, priority_kept, v_priority) AS room
              FROM offices_slot
             WHERE office_id = v_office AND date = v_day AND starts_at > v_now
               AND (v_chosen_at IS NULL OR starts_at >= v_chosen_at)
             ORDER BY starts_at FOR UPDATE
        LOOP
            v_locked := v_locked || s.id;
            v_kept := v_kept || s.priority_kept;
            v_take := least(greatest(s.room, 0), v_n - cardinality(v_alloc));
            IF v_take > 0 THEN
                v_alloc := v_alloc || array_fill(s.id, ARRAY[v_take]);
            END IF;
        END LOOP;
        IF cardinality(v_alloc) < v_n THEN
            RETURN jsonb_build_object('refused', 'day_full', 'early', false);
        END IF;
        -- Raise the counters; a priority family uses up as many kept places as it
        -- took: those of its own slots first, then of the other locked slots.
        FOR r IN SELECT a AS id, count(*)::integer AS places FROM unnest(v_alloc) AS a GROUP BY a ORDER BY a LOOP
            UPDATE offices_slot SET booked = booked + r.places,
                   priority_kept = CASE WHEN v_priority THEN greatest(priority_kept - r.places, 0) ELSE priority_kept END
             WHERE id = r.id;
            IF v_priority THEN
                v_unused := v_unused + greatest(r.places - v_kept[array_position(v_locked, r.id)], 0);
            END IF;
        END LOOP;
        IF v_priority THEN
            FOR i IN 1 .. cardinality(v_locked) LOOP
                EXIT WHEN v_unused <= 0;
                IF v_kept[i] > 0 AND NOT v_locked[i] = ANY(v_alloc) THEN
                    v_take := least(v_unused, v_kept[i]);
                    UPDATE offices_slot SET priority_kept = priority_kept - v_take WHERE id = v_locked[i];
                    v_unused := v_unused - v_take;
                END IF;
            END LOOP;
        END IF;
    END IF;

    SELECT jsonb_object_agg(t.id::text, to_jsonb(t)) INTO v_slots
      FROM offices_slot t WHERE t.id = ANY(v_alloc);

    -- Queue numbers for confirmed bookings (a hold gets its number when confirmed).
    IF v_verified THEN
        FOR r IN SELECT a AS id, count(*)::integer AS places, min(pos) AS first_place
                   FROM unnest(v_alloc) WITH ORDINALITY AS u(a, pos) GROUP BY a ORDER BY first_place LOOP
            v_seqs := v_seqs || jsonb_build_object(r.id::text, to_jsonb(booking_queue_seqs(
                v_office, v_day, (v_slots->(r.id::text)->>'queue_base')::integer,
                (v_slots->(r.id::text)->>'capacity')::integer, r.places)));
        END LOOP;
        v_status := 'booked';
    ELSE
        v_status := 'held';
    END IF;

    -- The bookings, their events, and for confirmed ones the confirmation.
    FOR i IN 1 .. v_n LOOP
        v_slot_id := v_alloc[i];
        v_start := (v_slots->(v_slot_id::text)->>'starts_at')::timestamptz;
        IF v_verified THEN
            v_seq := (v_seqs->(v_slot_id::text)->>0)::integer;
            v_seqs := jsonb_set(v_seqs, ARRAY[v_slot_id::text], (v_seqs->(v_slot_id::text)) - 0);
        ELSE
            v_seq := NULL;
        END IF;
        LOOP
            -- ON CONFLICT DO NOTHING on every unique rule, not an exception block: a
            -- block is a subtransaction per booking row (#19, bench/README.md "Session
            -- 12"). When nothing was inserted, the rule is found: a code drawn twice
            -- (astronomically rare) takes the next one drawn; a queue number taken by
            -- a concurrent booking in another slot (possible only after a re-plan moved
            -- the ranges) the day's next free number; anything else (a person clash
            -- cannot get past the locks) is an error, after one more try (the row in
            -- the way may have been released between the two statements).
            IF v_code_at > cardinality(v_codes) THEN
                RAISE EXCEPTION 'booking_place: no fresh booking code left';
            END IF;
            INSERT INTO bookings_booking (
                office_id, slot_id, date, code, queue_seq, status, service, name,
                birth_date, nik, phone, language, channel, group_code,
                rescheduled_from_id, expires_at, fee_id, fee_amount, billing_code,
                priority, hold_expires_at, hold_client, created_at, updated_at,
                personal_data_erased_at)
            VALUES (
                v_office, v_slot_id, v_day, v_codes[v_code_at], v_seq, v_status,
                p->>'service', v_names[i], v_births[i], v_niks[i], v_phone,
                p->>'language', p->>'channel',
                CASE WHEN v_n > 1 AND i = 1 THEN v_codes[v_code_at] ELSE v_group END,
                (p->>'rescheduled_from')::bigint,
                v_start + make_interval(mins => (v_limits->>'late_minutes')::integer),
                NULL, NULL, '', v_claims[i],
                CASE WHEN v_verified THEN NULL
                     ELSE v_now + make_interval(mins => (v_limits->>'hold_minutes')::integer) END,
                CASE WHEN v_verified THEN '' ELSE left(coalesce(p->>'client', ''), 64) END,
                v_created, v_created, NULL)
            ON CONFLICT DO NOTHING
            RETURNING * INTO v_row;
            EXIT WHEN v_row.id IS NOT NULL;
            IF EXISTS (SELECT 1 FROM bookings_booking WHERE code = v_codes[v_code_at]) THEN
                v_code_at := v_code_at + 1;
            ELSIF v_seq IS NOT NULL AND EXISTS (
                SELECT 1 FROM bookings_booking
                 WHERE office_id = v_office AND date = v_day AND queue_seq = v_seq
                   AND status = ANY(v_holding)) THEN
                v_seq := booking_day_top_seq(v_office, v_day) + 1;
            ELSIF v_tries = 0 THEN
                v_tries := 1;  -- the row in the way changed meanwhile: once more
            ELSE
                RAISE unique_violation USING
                    MESSAGE = 'booking_place: a booking row broke a unique rule other than its code or queue number';
            END IF;
        END LOOP;
        v_code_at := v_code_at + 1;
        IF i = 1 AND v_n > 1 THEN
            v_group := v_row.code;
        END IF;
        INSERT INTO bookings_bookingevent
            (booking_id, from_status, to_status, actor_kind, actor_user_id, actor_client_id,
             actor_label, channel, note, created_at)
        VALUES (v_row.id, '', v_status, p->'actor'->>'kind', (p->'actor'->>'user')::bigint,
                p->'actor'->>'client', left(p->'actor'->>'label', 100),
                p->'actor'->>'channel', left(coalesce(p->>'note', ''), 200), v_created);
        IF v_verified AND v_notice IS NOT NULL AND v_phone <> '' THEN
            v_queue := 'A-' || CASE WHEN v_seq < 1000 THEN lpad(v_seq::text, 3, '0') ELSE v_seq::text END;
            INSERT INTO notifications_outboundmessage (
                "to", sender, phone_number_id, kind, language, text, image_png, image_qr,
                template_name, template_params, subject, urgency, business_initiated,
                dedupe_key, status, attempts, last_error, next_attempt_at, claimed_at,
                provider_message_id, created_at, sent_at, delivered_at, read_at, failed_at,
                personal_data_erased_at, about_kind, about_id)
            SELECT v_phone, v_notice->>'sender', v_notice->>'phone_number_id',
                   v_notice->>'kind', p->>'language',
                   booking_fill(v_notice->'texts'->>(i - 1), f.code, v_queue, f.at_time, f.arrive),
                   NULL, v_row.code, 'antrean_' || (v_notice->>'kind'),
                   (SELECT jsonb_agg(booking_fill(e, f.code, v_queue, f.at_time, f.arrive) ORDER BY k)
                      FROM jsonb_array_elements_text(v_notice->'params'->(i - 1)) WITH ORDINALITY AS q(e, k)),
                   'booking:' || v_row.code, 0, false, NULL, 'queued', 0, '', NULL, NULL,
                   NULL, v_created, NULL, NULL, NULL, NULL, NULL, 'booking', v_row.id
              FROM (SELECT left(v_row.code, 4) || '-' || right(v_row.code, 4) AS code,
                           to_char(v_start AT TIME ZONE v_zone, 'HH24:MI') || ' ' || v_label AS at_time,
                           to_char((v_start - make_interval(mins => (v_limits->>'arrive_minutes')::integer))
                                   AT TIME ZONE v_zone, 'HH24:MI') || ' ' || v_label AS arrive) AS f
            RETURNING id INTO v_outbox_id;
            v_outbox := v_outbox || v_outbox_id;
        END IF;
        v_rows := v_rows || to_jsonb(v_row);
    END LOOP;

    RETURN jsonb_build_object('bookings', v_rows, 'slots', v_slots, 'outbox', to_jsonb(v_outbox),
                              'freed', v_freed, 'elsewhere', to_jsonb(v_elsewhere));
END
$$;


-- `booking_place` as a transaction of its own, for a caller outside any transaction
-- (bookings/services/allocation.py `_place`): the statement commits with its answer, one
-- round trip instead of BEGIN, the call and COMMIT (#19, bench/README.md "Session 12").
-- A refusal after the call changed something (lapsed holds released, slot rows locked:
-- a transaction id assigned) is raised instead of returned, so the statement's
-- transaction rolls back, as the caller's rollback does for `booking_place`; its answer
-- is the error's DETAIL, its SQLSTATE 23B01. A refusal that changed nothing is returned.
CREATE OR REPLACE FUNCTION booking_place_alone(p jsonb) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    answer jsonb := booking_place(p);
BEGIN
    IF answer ? 'refused' AND pg_current_xact_id_if_assigned() IS NOT NULL THEN
        RAISE EXCEPTION 'booking_place refused: %', answer->>'refused'
            USING ERRCODE = '23B01', DETAIL = answer::text;
    END IF;
    RETURN answer;
END
$$;
