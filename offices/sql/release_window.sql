-- The release window of an office, written once: a day opens for booking at the
-- office's release time, `window_days` days before it, in the office's own zone (WIB,
-- WITA, WIT), and stays open. Created by
-- offices/migrations/0008_release_window_function.py, which reads this file.
--
-- Readers: the calendar (offices/selectors.py) reads this function along with the
-- opening hours it already loads; every other Python reader asks it through
-- offices/release_window.py, whose `release_at` words the instant a day opens (its
-- inverse). The booking function (bookings/sql/booking_place.sql, `not_released`)
-- calls it (bookings migration 0012).
-- offices/tests/test_release_window.py holds all of them to this function at many
-- instants around the release time and midnight in each zone. It takes the office's
-- fields, not its id, so a caller that has the row passes them (no read). Pure
-- arithmetic; no lock.
--
-- The furthest day open for booking at `at`: the local day of `at` less the release
-- time (before the release time, yesterday's release is the latest), `window_days` ahead.
CREATE OR REPLACE FUNCTION office_released_through(
    zone text, window_days integer, release_time time, at timestamptz
) RETURNS date
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT ((at AT TIME ZONE zone) - release_time::interval)::date + window_days $$;
