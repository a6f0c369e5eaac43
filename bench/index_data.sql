-- A realistic data set for EXPLAIN (bench/README.md, "Session 12: indexes of the hot
-- tables"): 26 offices x 400 days x 8 slots of 12 places, about 970,000 bookings (past
-- days collected, expired or cancelled, those older than 200 days erased; the next 20
-- days half booked). Load into a migrated database: psql "$DATABASE_URL" -f bench/index_data.sql
SELECT setseed(0.42);
INSERT INTO offices_slot (office_id, date, starts_at, ends_at, capacity, booked, queue_base, priority_kept)
SELECT o.id, d::date, (d::date + time '08:00' + (s * interval '1 hour')) AT TIME ZONE o.timezone,
       (d::date + time '09:00' + (s * interval '1 hour')) AT TIME ZONE o.timezone,
       12, CASE WHEN d::date >= current_date THEN 6 ELSE 12 END, s * 12, 0
FROM offices_office o, generate_series(current_date - 380, current_date + 19, interval '1 day') d,
     generate_series(0, 7) s;

INSERT INTO bookings_booking (office_id, slot_id, date, code, queue_seq, status, service,
    name, birth_date, nik, phone, language, channel, group_code, expires_at,
    billing_code, priority, hold_client, created_at, updated_at, personal_data_erased_at, hold_expires_at)
SELECT x.office_id, x.id, x.date, upper(lpad(to_hex(x.id * 12 + g), 8, 'Z')), x.queue_base + g,
       x.st, 'new',
       CASE WHEN x.erased THEN '' ELSE 'PERSON ' || (random() * 400000)::int END,
       CASE WHEN x.erased THEN NULL ELSE date '1950-01-01' + (random() * 25000)::int END,
       CASE WHEN x.erased OR random() < 0.7 THEN '' ELSE lpad(((random() * 1e15)::bigint)::text, 16, '3') END,
       CASE WHEN x.erased THEN '' ELSE '628' || lpad(((random() * 1e9)::bigint)::text, 10, '1') END,
       'id', 'whatsapp', '', x.starts_at + interval '30 minutes', '', '', '', now(), now(),
       CASE WHEN x.erased THEN now() END, NULL
FROM (SELECT s.*, s.date < current_date - 200 AS erased,
             CASE WHEN s.date >= current_date THEN 'booked'
                  WHEN random() < 0.12 THEN 'expired' WHEN random() < 0.1 THEN 'cancelled'
                  ELSE 'collected' END AS st
        FROM offices_slot s) x,
     generate_series(1, 12) g
WHERE x.date < current_date OR g <= 6;
UPDATE bookings_booking SET status = CASE WHEN random() < 0.12 THEN 'expired' WHEN random() < 0.1 THEN 'cancelled' ELSE 'collected' END
 WHERE date < current_date AND random() < 0.5;
VACUUM ANALYZE offices_slot;
VACUUM ANALYZE bookings_booking;
SELECT count(*), count(*) FILTER (WHERE status='booked') FROM bookings_booking;
