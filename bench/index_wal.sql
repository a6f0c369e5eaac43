-- The index upkeep of the hot tables, counted in WAL records (deterministic, unlike CPU
-- on a shared VM): 5,000 bookings inserted, 5,000 booked rows expired, 5,000 system
-- events and 5,000 queued notices, rolled back. Run on a database with bench/index_data.sql
-- loaded: psql "$DATABASE_URL" -f bench/index_wal.sql | grep -E "on |WAL:"
BEGIN;
EXPLAIN (ANALYZE, WAL, COSTS OFF, TIMING OFF, SUMMARY OFF)
INSERT INTO bookings_booking (office_id, slot_id, date, code, queue_seq, status, service,
    name, birth_date, nik, phone, language, channel, group_code, expires_at,
    billing_code, priority, hold_client, created_at, updated_at)
SELECT s.office_id, s.id, s.date, 'W' || lpad(to_hex(g), 7, '0'), 5000 + g, 'booked', 'new',
    'WAL PROBE ' || g, date '1960-01-01' + g, '', '6285' || lpad(g::text, 9, '0'), 'id', 'web', '',
    s.starts_at, '', '', '', now(), now()
FROM (SELECT * FROM offices_slot WHERE date > current_date + 5 ORDER BY id LIMIT 1) s, generate_series(1, 5000) g;
EXPLAIN (ANALYZE, WAL, COSTS OFF, TIMING OFF, SUMMARY OFF)
UPDATE bookings_booking SET status = 'expired', updated_at = now()
 WHERE id = ANY(ARRAY(SELECT id FROM bookings_booking WHERE status = 'booked' AND code NOT LIKE 'W%' ORDER BY id LIMIT 5000));
EXPLAIN (ANALYZE, WAL, COSTS OFF, TIMING OFF, SUMMARY OFF)
INSERT INTO bookings_bookingevent (booking_id, from_status, to_status, actor_kind, actor_user_id, actor_client_id, actor_label, channel, note, created_at)
SELECT id, 'booked', 'expired', 'system', NULL, NULL, '', 'system', '', now() FROM bookings_booking WHERE code LIKE 'W%';
EXPLAIN (ANALYZE, WAL, COSTS OFF, TIMING OFF, SUMMARY OFF)
INSERT INTO notifications_outboundmessage ("to", sender, phone_number_id, kind, language, text, image_qr, template_name, template_params, subject, urgency, business_initiated, status, attempts, last_error, created_at, about_kind, about_id)
SELECT '6281' || lpad(g::text, 9, '0'), '', '', 'booking_expired', 'id', 'x', '', '', '[]', 'booking:' || g, 0, false, 'queued', 0, '', now(), 'booking', g
FROM generate_series(1, 5000) g;
ROLLBACK;
