-- The release gate of the draw, as booking_place (bookings/sql/booking_place.sql)
-- asks it: whether first come may book `day` at `office` now. Created by
-- release/migrations/0002_release_gate_function.py, which reads this file; it replaces
-- the stub bookings' migration creates (first come everywhere), as
-- settings.BOOKING_RELEASE_GATE names release.services.first_come_refusal for Python.
--
-- Answers NULL for a day released first come (no draw policy in force), 'released'
-- for a day its draw has placed (or while the draw itself places its winners:
-- `draw_placing`), 'in_draw' while the day's draw is to come or running: first come may
-- not take a place the draw gives out. The policy in force is the latest that applies
-- from the day or before; its releases are blocks of `days_per_release` days counted
-- from its first day, and a block's draw is the one of the block's first day.
-- release/services.py (`first_come_refusal`) asks this same function, and words the
-- refusal. Reads only; no lock. PL/pgSQL, not SQL, for its plan cache: PostgreSQL
-- (15) plans a SQL function with a FROM again at every call, which cost each booking
-- more than the query (#19, bench/README.md "The booking call's plans").
CREATE OR REPLACE FUNCTION booking_release_gate(office bigint, day date, draw_placing boolean)
RETURNS text
LANGUAGE plpgsql STABLE
AS $$
BEGIN
RETURN (
SELECT CASE
    WHEN p.mode IS DISTINCT FROM 'draw' THEN NULL
    WHEN draw_placing THEN 'released'
    WHEN (SELECT d.state FROM release_draw d
           WHERE d.office_id = booking_release_gate.office
             AND d.first_day = p.applies_from
                 + ((booking_release_gate.day - p.applies_from) / p.days_per_release)
                   * p.days_per_release
           LIMIT 1) = 'done' THEN 'released'
    ELSE 'in_draw'
END
FROM (SELECT NULL) AS always
LEFT JOIN LATERAL (
    SELECT mode, applies_from, days_per_release FROM release_releasepolicy
     WHERE office_id = booking_release_gate.office
       AND applies_from <= booking_release_gate.day
     ORDER BY applies_from DESC LIMIT 1
) AS p ON true);
END
$$;
