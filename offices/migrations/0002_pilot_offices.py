"""The 26 pilot offices of the 2017 WhatsApp booking launch, present in every deployment.

Frozen here (a migration must not change once it has run anywhere); edit offices in
the admin afterwards. Each entry's comment says what its facts rest on and what is
estimated. WhatsApp numbers that are not public are placeholders in the reserved
+62800000000NN range, flagged `whatsapp_number_is_placeholder`.
"""

import datetime as dt

import holidays
from django.db import migrations

# Friday prayers: no slot runs between 11:30 and 13:00; other weekdays break at noon.
WEEKDAY_BREAK = (dt.time(12, 0), dt.time(13, 0))
FRIDAY_BREAK = (dt.time(11, 30), dt.time(13, 0))
# Offices whose slot plan runs through midday (Tangerang booked a family at 11:00,
# 12:00 and 13:00 in 2017).
NO_MIDDAY_BREAK = {"tangerang"}
# Tangerang serves 400 a day instead of 250 in the three weeks before Lebaran.
LEBARAN_PEAK = {"tangerang": 400}

OFFICES = [
    # Class per seed article (Kabar6, 2019) and TVRI/TangerangNews 2024-2026 ('Kelas I Non
    # TPI'). WhatsApp 0811-8119-000 is the 2017 booking number from the seed Tempo
    # article; may no longer be in use. 250/day from seed (400/day before Lebaran =
    # override, not here); a 2020 Tribun article gives a pre-Covid quota of 150. 60-min
    # slots follow the seed (family booked 11:00/12:00/13:00). Address and phone from
    # 2019-era Ditjen Imigrasi helpdesk branch table found in a public GitHub DB dump
    # (tbl_helpdesk_imigration_branchs); phone unverified. Priority quota and hours
    # estimated (typical Kanim); 2026 news mentions periodic Saturday 'Paspor Simpatik',
    # not modelled.
    {
        "code": "tangerang",
        "name": "Kantor Imigrasi Kelas I Non TPI Tangerang",
        "office_class": "I_NON_TPI",
        "city": "Kota Tangerang",
        "province": "Banten",
        "address": "Jl. Taman Makam Pahlawan Taruna No. 10, Sukasari, Kota Tangerang, Banten",
        "timezone": "Asia/Jakarta",
        "phone": "+62 21 5579 0871",
        "whatsapp_number": "+628118119000",
        "whatsapp_is_placeholder": False,
        "daily_capacity": 250,
        "priority_quota": 50,
        "opens_at": "08:00",
        "closes_at": "16:00",
        "saturday": None,
        "slot_minutes": 60,
    },
    # Class verified: Tribun Jakarta 2020 and Antara (via selalukabar.com) 2025 ('Kelas I
    # Non TPI Jakarta Pusat'). WhatsApp 0812-9900-4406 = 2017 booking number (Kompas 19
    # Jul 2017, berkabar.id); a 2020 'SIGAP' info line 0811-8539-333 also reported (Tribun
    # Bali); both may be stale. Capacity estimated: Kompas 2017 says 250-400 applicants
    # came daily; 2013 blog quota 200. Address/phone from 2019-era Ditjen Imigrasi
    # helpdesk branch table found in a public GitHub DB dump
    # (tbl_helpdesk_imigration_branchs) (blogs confirm Jl. Merpati, Kemayoran); phone
    # unverified. Priority, hours, slot size estimated.
    {
        "code": "jakarta-pusat",
        "name": "Kantor Imigrasi Kelas I Non TPI Jakarta Pusat",
        "office_class": "I_NON_TPI",
        "city": "Kota Administrasi Jakarta Pusat",
        "province": "DKI Jakarta",
        "address": "Jl. Merpati Blok B-12 No. 3, Gunung Sahari Utara, Kemayoran, Jakarta Pusat 10720",
        "timezone": "Asia/Jakarta",
        "phone": "+62 21 654 1209",
        "whatsapp_number": "+6281299004406",
        "whatsapp_is_placeholder": False,
        "daily_capacity": 250,
        "priority_quota": 50,
        "opens_at": "08:00",
        "closes_at": "16:00",
        "saturday": None,
        "slot_minutes": 30,
    },
    # Class verified (CentralBatam 2023, Batampos 2026). 200 regular + 50 priority per
    # M-Paspor (DOMAIN.md); Suara Batam Apr 2024 confirms 200 regular, 50 priority, 20
    # percepatan, 10 lost/damaged per day. WhatsApp 0822-8886-2017 (alt 0822-8882-2017)
    # was the 2017 booking line, registration 07:30-10:00 (berkabar.id / kabarberita.co.id
    # 2017); 2021 passport contact +62 813-6470-0070 (Batampos); all possibly stale.
    # Address/phone from 2019-era Ditjen Imigrasi helpdesk branch table found in a public
    # GitHub DB dump (tbl_helpdesk_imigration_branchs); phone unverified. Weekday hours
    # assumed 08:00-16:00 (Ramadan 2024: 08:00-15:00).
    {
        "code": "batam",
        "name": "Kantor Imigrasi Kelas I Khusus TPI Batam",
        "office_class": "I_KHUSUS_TPI",
        "city": "Kota Batam",
        "province": "Kepulauan Riau",
        "address": "Jl. Engku Putri No. 3, Teluk Tering, Batam Kota (Batam Centre), Kota Batam, Kepulauan Riau",
        "timezone": "Asia/Jakarta",
        "phone": "+62 778 462068",
        "whatsapp_number": "+6282288862017",
        "whatsapp_is_placeholder": False,
        "daily_capacity": 200,
        "priority_quota": 50,
        "opens_at": "08:00",
        "closes_at": "16:00",
        "saturday": None,
        "slot_minutes": 30,
    },
    # Seed (FokusRiau 2017): 50 applicants/day, 07:30-16:00, ~1,100 passports/month. Class
    # 'Kelas II TPI' confirmed by Qayyumnews Aug 2023, which gives a 2023 quota of ~45/day
    # (35 M-Paspor + 5 express + 5-10 priority) -> priority 10. Address/phone from
    # 2019-era Ditjen Imigrasi helpdesk branch table found in a public GitHub DB dump
    # (tbl_helpdesk_imigration_branchs); unverified. No public WhatsApp found:
    # placeholder.
    {
        "code": "belakang-padang",
        "name": "Kantor Imigrasi Kelas II TPI Belakang Padang",
        "office_class": "II_TPI",
        "city": "Kota Batam (Kec. Belakang Padang)",
        "province": "Kepulauan Riau",
        "address": "Jl. Hang Tuah No. 1, Belakang Padang, Kota Batam, Kepulauan Riau",
        "timezone": "Asia/Jakarta",
        "phone": "+62 778 312419",
        "whatsapp_number": "+6280000000004",
        "whatsapp_is_placeholder": True,
        "daily_capacity": 50,
        "priority_quota": 10,
        "opens_at": "07:30",
        "closes_at": "16:00",
        "saturday": None,
        "slot_minutes": 60,
    },
    # Class per seed (Prokal) and Tribun Kaltara/Benuanta 2022-2025. Address from 2019-era
    # Ditjen Imigrasi helpdesk branch table found in a public GitHub DB dump
    # (tbl_helpdesk_imigration_branchs) ('Jl. Sumatera No. 1') and a newer office
    # letterhead in a public GitHub app ('Jl. P. Sumatera No.1, Tarakan Tengah', tel
    # 0811-8773-337); old landline (0551) 21242. Unverified. Capacity estimated (2024:
    # ~5,500 new + ~4,900 replacement passports/yr, i.e. ~40/day). Priority, hours
    # estimated. WhatsApp placeholder.
    {
        "code": "tarakan",
        "name": "Kantor Imigrasi Kelas II TPI Tarakan",
        "office_class": "II_TPI",
        "city": "Kota Tarakan",
        "province": "Kalimantan Utara",
        "address": "Jl. Pulau Sumatera No. 1, Kec. Tarakan Tengah, Kota Tarakan, Kalimantan Utara",
        "timezone": "Asia/Makassar",
        "phone": "+62 811 8773 337",
        "whatsapp_number": "+6280000000005",
        "whatsapp_is_placeholder": True,
        "daily_capacity": 50,
        "priority_quota": 10,
        "opens_at": "08:00",
        "closes_at": "16:00",
        "saturday": None,
        "slot_minutes": 60,
    },
    # Class verified (Bogor Network 2025, 'Kelas I Non TPI Bogor'). WhatsApp 0811-1100-333
    # = 2017 booking number (Antara 7 Aug 2017; Radar Bogor Mar 2018); may be stale.
    # Capacity estimated from 2017 reports (quota ~200/day, ~300 applicants/day at peak).
    # Street on Jl. Ahmad Yani confirmed by Radar Bogor 2017; number 65 from 2019-era
    # Ditjen Imigrasi helpdesk branch table found in a public GitHub DB dump
    # (tbl_helpdesk_imigration_branchs) (another repo says No. 19): unverified. Directory
    # phone (0251) 338074 is in a pre-2008 format, so left empty. Priority, hours
    # estimated. 2018: extra Saturday quota during Hari Bhakti Imigrasi (event only).
    {
        "code": "bogor",
        "name": "Kantor Imigrasi Kelas I Non TPI Bogor",
        "office_class": "I_NON_TPI",
        "city": "Kota Bogor",
        "province": "Jawa Barat",
        "address": "Jl. Jend. Ahmad Yani No. 65, Tanah Sareal, Kota Bogor, Jawa Barat",
        "timezone": "Asia/Jakarta",
        "phone": "",
        "whatsapp_number": "+628111100333",
        "whatsapp_is_placeholder": False,
        "daily_capacity": 200,
        "priority_quota": 40,
        "opens_at": "08:00",
        "closes_at": "16:00",
        "saturday": None,
        "slot_minutes": 30,
    },
    # Class verified (Republika Oct 2022; iNews Jul 2023). Saturday: Republika 15 Oct 2022
    # says Jakarta Selatan is the only Kanim with weekend passport service, 08:00-16:00
    # (current status unverified). Address: detik 2017 confirms Jl. Warung Buncit; No. 207
    # and phone from 2019-era Ditjen Imigrasi helpdesk branch table found in a public
    # GitHub DB dump (tbl_helpdesk_imigration_branchs); phone unverified. Capacity,
    # priority, weekday hours estimated. WhatsApp placeholder.
    {
        "code": "jakarta-selatan",
        "name": "Kantor Imigrasi Kelas I Khusus Non TPI Jakarta Selatan",
        "office_class": "I_KHUSUS_NON_TPI",
        "city": "Kota Administrasi Jakarta Selatan",
        "province": "DKI Jakarta",
        "address": "Jl. Warung Buncit Raya No. 207, Jakarta Selatan",
        "timezone": "Asia/Jakarta",
        "phone": "+62 21 799 6334",
        "whatsapp_number": "+6280000000007",
        "whatsapp_is_placeholder": True,
        "daily_capacity": 250,
        "priority_quota": 50,
        "opens_at": "08:00",
        "closes_at": "16:00",
        "saturday": {"opens_at": "08:00", "closes_at": "16:00"},
        "slot_minutes": 30,
    },
    # Class verified (Wartalika Sep 2022, 'Kelas I Khusus Non TPI Jakarta Barat').
    # Address/phone from 2019-era Ditjen Imigrasi helpdesk branch table found in a public
    # GitHub DB dump (tbl_helpdesk_imigration_branchs) (blogs place it in Taman Sari);
    # unverified. Capacity, priority, hours estimated. WhatsApp placeholder.
    {
        "code": "jakarta-barat",
        "name": "Kantor Imigrasi Kelas I Khusus Non TPI Jakarta Barat",
        "office_class": "I_KHUSUS_NON_TPI",
        "city": "Kota Administrasi Jakarta Barat",
        "province": "DKI Jakarta",
        "address": "Jl. Pos Kota No. 4, Pinangsia, Taman Sari, Jakarta Barat 11110",
        "timezone": "Asia/Jakarta",
        "phone": "+62 21 690 4795",
        "whatsapp_number": "+6280000000008",
        "whatsapp_is_placeholder": True,
        "daily_capacity": 200,
        "priority_quota": 40,
        "opens_at": "08:00",
        "closes_at": "16:00",
        "saturday": None,
        "slot_minutes": 30,
    },
    # Class per the office's own site kanimjaktim.kemenkumham.go.id (May 2025) and
    # Narasinews 2023: 'Kelas I TPI Jakarta Timur' (one 2024 JawaPos text says 'Non TPI'
    # in passing). Located next to Cipinang prison (blog 2013). Address/phone from
    # 2019-era Ditjen Imigrasi helpdesk branch table found in a public GitHub DB dump
    # (tbl_helpdesk_imigration_branchs); phone unverified. Capacity, priority, hours
    # estimated. WhatsApp placeholder.
    {
        "code": "jakarta-timur",
        "name": "Kantor Imigrasi Kelas I TPI Jakarta Timur",
        "office_class": "I_TPI",
        "city": "Kota Administrasi Jakarta Timur",
        "province": "DKI Jakarta",
        "address": "Jl. Bekasi Timur Raya No. 169, Cipinang Besar Utara, Jatinegara, Jakarta Timur",
        "timezone": "Asia/Jakarta",
        "phone": "+62 21 850 3896",
        "whatsapp_number": "+6280000000009",
        "whatsapp_is_placeholder": True,
        "daily_capacity": 200,
        "priority_quota": 40,
        "opens_at": "08:00",
        "closes_at": "16:00",
        "saturday": None,
        "slot_minutes": 30,
    },
    # Class verified (Antara Jan 2023, Republika Mar 2024). Saturday: 'Paspor Simpatik'
    # 08:00-12:00, quota 50 (Antara Jan 2023, Hari Bhakti Imigrasi) and weekend service at
    # ULP Mangga Dua (Antara Mar 2024); treat as periodic. Address: blog 2017 confirms
    # Rukan Artha Gading Blok A behind Mal Artha Gading; block numbers and phone from
    # 2019-era Ditjen Imigrasi helpdesk branch table found in a public GitHub DB dump
    # (tbl_helpdesk_imigration_branchs); unverified. Capacity estimated (~5,000
    # passports/month in early 2024). Priority, weekday hours estimated. WhatsApp
    # placeholder.
    {
        "code": "jakarta-utara",
        "name": "Kantor Imigrasi Kelas I TPI Jakarta Utara",
        "office_class": "I_TPI",
        "city": "Kota Administrasi Jakarta Utara",
        "province": "DKI Jakarta",
        "address": "Rukan Artha Gading Niaga, Jl. Boulevard Artha Gading Blok A No. 5-7, Kelapa Gading, Jakarta Utara",
        "timezone": "Asia/Jakarta",
        "phone": "+62 21 4584 0542",
        "whatsapp_number": "+6280000000010",
        "whatsapp_is_placeholder": True,
        "daily_capacity": 200,
        "priority_quota": 40,
        "opens_at": "08:00",
        "closes_at": "16:00",
        "saturday": {"opens_at": "08:00", "closes_at": "12:00"},
        "slot_minutes": 30,
    },
    # Class per Radar Depok 2020 and Traveloka 2025 ('Kelas II Non TPI'); a GitHub list
    # claims 'Kelas I Non TPI', unverified. Capacity from Radar Depok Oct 2020: pre-
    # pandemic 200/day, of which 150 at the office and 50 at the Detos outlet. Address
    # (GDC, Cilodong) confirmed by Radar Depok; phone from 2019-era Ditjen Imigrasi
    # helpdesk branch table found in a public GitHub DB dump
    # (tbl_helpdesk_imigration_branchs), unverified. Priority, hours estimated. WhatsApp
    # placeholder.
    {
        "code": "depok",
        "name": "Kantor Imigrasi Kelas II Non TPI Depok",
        "office_class": "II_NON_TPI",
        "city": "Kota Depok",
        "province": "Jawa Barat",
        "address": "Komplek Perkantoran Pemkot Depok, Jl. Boulevard Raya Grand Depok City, Kalimulya, Cilodong, Kota Depok",
        "timezone": "Asia/Jakarta",
        "phone": "+62 21 7721 2549",
        "whatsapp_number": "+6280000000011",
        "whatsapp_is_placeholder": True,
        "daily_capacity": 150,
        "priority_quota": 30,
        "opens_at": "08:00",
        "closes_at": "16:00",
        "saturday": None,
        "slot_minutes": 60,
    },
    # Class per 2023 applicant blog (mantrianarani.com, 'Kelas I TPI Bandung'). Capacity
    # estimated from Tribun Jabar Aug 2019: 300/day across the office (Jl. Surapati) and
    # its Soekarno-Hatta service unit. Address/phone from 2019-era Ditjen Imigrasi
    # helpdesk branch table found in a public GitHub DB dump
    # (tbl_helpdesk_imigration_branchs) (Jl. Surapati confirmed by Tribun); phone
    # unverified. Priority, hours estimated. WhatsApp placeholder.
    {
        "code": "bandung",
        "name": "Kantor Imigrasi Kelas I TPI Bandung",
        "office_class": "I_TPI",
        "city": "Kota Bandung",
        "province": "Jawa Barat",
        "address": "Jl. Surapati No. 82, Cihaur Geulis, Cibeunying Kaler, Kota Bandung 40122",
        "timezone": "Asia/Jakarta",
        "phone": "+62 22 727 2081",
        "whatsapp_number": "+6280000000012",
        "whatsapp_is_placeholder": True,
        "daily_capacity": 200,
        "priority_quota": 40,
        "opens_at": "08:00",
        "closes_at": "16:00",
        "saturday": None,
        "slot_minutes": 30,
    },
    # Class verified (Radar Bekasi Jun 2022; Tempo Dec 2024). Capacity from Radar Bekasi
    # Jun 2022: 310/day total, 280 at the office (+15 each at two MPP outlets). Street
    # (Jl. Perjuangan, Bekasi Utara) from Radar Bekasi; house number not confirmed (a
    # student repo says No. 100). No phone found. Priority, hours estimated. WhatsApp
    # placeholder.
    {
        "code": "bekasi",
        "name": "Kantor Imigrasi Kelas I Non TPI Bekasi",
        "office_class": "I_NON_TPI",
        "city": "Kota Bekasi",
        "province": "Jawa Barat",
        "address": "Jl. Perjuangan, Teluk Pucung, Bekasi Utara, Kota Bekasi, Jawa Barat",
        "timezone": "Asia/Jakarta",
        "phone": "",
        "whatsapp_number": "+6280000000013",
        "whatsapp_is_placeholder": True,
        "daily_capacity": 280,
        "priority_quota": 55,
        "opens_at": "08:00",
        "closes_at": "16:00",
        "saturday": None,
        "slot_minutes": 30,
    },
    # Class verified (Solopos Nov 2023). Capacity from Solopos Nov 2023: 250/day plus
    # 25-50 extra. Address: 2019-era Ditjen Imigrasi helpdesk branch table found in a
    # public GitHub DB dump (tbl_helpdesk_imigration_branchs) gives 'Jl. Siliwangi,
    # Krapyak'; No. 514/Kembangarum from a student repo, unverified; a new building on Jl.
    # Tugu was planned for 2024-25 (beritajateng.tv). Phone unverified. Priority, hours
    # estimated. Saturday 'Paspor Merdeka' events (Aug 2023) only. WhatsApp placeholder.
    {
        "code": "semarang",
        "name": "Kantor Imigrasi Kelas I TPI Semarang",
        "office_class": "I_TPI",
        "city": "Kota Semarang",
        "province": "Jawa Tengah",
        "address": "Jl. Siliwangi No. 514, Kembangarum, Semarang Barat, Kota Semarang",
        "timezone": "Asia/Jakarta",
        "phone": "+62 24 762 3145",
        "whatsapp_number": "+6280000000014",
        "whatsapp_is_placeholder": True,
        "daily_capacity": 250,
        "priority_quota": 50,
        "opens_at": "08:00",
        "closes_at": "16:00",
        "saturday": None,
        "slot_minutes": 30,
    },
    # Class verified (Tribun Jogja Feb 2023). Address 'Jl. Solo Km 10, Sleman' confirmed
    # by detik 2018; office sits in Sleman regency, not Kota Yogyakarta. Phone from
    # 2019-era Ditjen Imigrasi helpdesk branch table found in a public GitHub DB dump
    # (tbl_helpdesk_imigration_branchs), unverified. Capacity estimated ('hundreds of
    # applications a day', detik 2018). Weekend services reported (Saturday hajj service
    # 2018; Sat/Sun service at ULP Lippo Plaza 2023) but not as a standing schedule.
    # Priority, hours estimated. WhatsApp placeholder.
    {
        "code": "yogyakarta",
        "name": "Kantor Imigrasi Kelas I TPI Yogyakarta",
        "office_class": "I_TPI",
        "city": "Kabupaten Sleman",
        "province": "DI Yogyakarta",
        "address": "Jl. Solo Km 10, Maguwoharjo, Depok, Kabupaten Sleman, DI Yogyakarta 55282",
        "timezone": "Asia/Jakarta",
        "phone": "+62 274 487165",
        "whatsapp_number": "+6280000000015",
        "whatsapp_is_placeholder": True,
        "daily_capacity": 200,
        "priority_quota": 40,
        "opens_at": "08:00",
        "closes_at": "16:00",
        "saturday": None,
        "slot_minutes": 30,
    },
    # Class verified (Potretkota Mar 2023; Times Jatim 2025). 200/day at the main office
    # (Potretkota Mar 2023). Office moved in July 2017 from Jl. Letjen S. Parman 58A, Waru
    # to Jl. Raya Juanda Km 3-4, Sedati (juandaairport.com, Jul 2017): it serves Surabaya
    # but sits in Sidoarjo. Old directory phone (031) 8531785 belongs to the Waru site, so
    # phone left empty. Priority, hours estimated. WhatsApp placeholder.
    {
        "code": "surabaya",
        "name": "Kantor Imigrasi Kelas I Khusus TPI Surabaya",
        "office_class": "I_KHUSUS_TPI",
        "city": "Kabupaten Sidoarjo",
        "province": "Jawa Timur",
        "address": "Jl. Raya Juanda Km 3-4, Sedati, Kabupaten Sidoarjo, Jawa Timur",
        "timezone": "Asia/Jakarta",
        "phone": "",
        "whatsapp_number": "+6280000000016",
        "whatsapp_is_placeholder": True,
        "daily_capacity": 200,
        "priority_quota": 40,
        "opens_at": "08:00",
        "closes_at": "16:00",
        "saturday": None,
        "slot_minutes": 30,
    },
    # Class verified (Bisnis.com Dec 2024; Medcom 2021). Capacity from Bisnis.com Dec
    # 2024: 150/day at the office (+30 at satellite units). Address/phone from 2019-era
    # Ditjen Imigrasi helpdesk branch table found in a public GitHub DB dump
    # (tbl_helpdesk_imigration_branchs); unverified. Priority, hours estimated. WhatsApp
    # placeholder.
    {
        "code": "malang",
        "name": "Kantor Imigrasi Kelas I TPI Malang",
        "office_class": "I_TPI",
        "city": "Kota Malang",
        "province": "Jawa Timur",
        "address": "Jl. Raden Panji Suroso No. 4, Polowijen, Blimbing, Kota Malang",
        "timezone": "Asia/Jakarta",
        "phone": "+62 341 491039",
        "whatsapp_number": "+6280000000017",
        "whatsapp_is_placeholder": True,
        "daily_capacity": 150,
        "priority_quota": 30,
        "opens_at": "08:00",
        "closes_at": "16:00",
        "saturday": None,
        "slot_minutes": 60,
    },
    # Class verified (Tribun Sumsel 2023-2024). Saturday: weekend services 08:00-12:00
    # (Tribun Jan 2023, quota 30; Antara Aug 2019, max 60), event-based, not a standing
    # schedule. WhatsApp 0811-789-2601 was the registration line for the Jan 2023 weekend
    # service (Tribun); may be stale. Capacity estimated (~5,000 applicants/month, Tribun
    # Nov 2024). Address/phone from 2019-era Ditjen Imigrasi helpdesk branch table found
    # in a public GitHub DB dump (tbl_helpdesk_imigration_branchs); unverified. Priority,
    # weekday hours estimated.
    {
        "code": "palembang",
        "name": "Kantor Imigrasi Kelas I TPI Palembang",
        "office_class": "I_TPI",
        "city": "Kota Palembang",
        "province": "Sumatera Selatan",
        "address": "Jl. Pangeran Ratu No. 1, Seberang Ulu I, Kota Palembang, Sumatera Selatan",
        "timezone": "Asia/Jakarta",
        "phone": "+62 711 321375",
        "whatsapp_number": "+628117892601",
        "whatsapp_is_placeholder": False,
        "daily_capacity": 200,
        "priority_quota": 40,
        "opens_at": "08:00",
        "closes_at": "16:00",
        "saturday": {"opens_at": "08:00", "closes_at": "12:00"},
        "slot_minutes": 30,
    },
    # Name answers the brief's question: neither 'Kelas I Khusus TPI Medan' (a separate
    # office on Jl. Gatot Subroto) nor 'Non TPI Polonia'; news calls it 'Kantor Imigrasi
    # Kelas I TPI Polonia' (Topmetro Jan 2024; Deltapariranews Mar 2025). Main unit on
    # Jalan Mangkubumi (Topmetro 2024); No. 2 and phone from 2019-era Ditjen Imigrasi
    # helpdesk branch table found in a public GitHub DB dump
    # (tbl_helpdesk_imigration_branchs), unverified. Capacity: ~250/day per the acting
    # head (Mar 2025); during a 2025 renovation service moved temporarily elsewhere.
    # Priority, hours estimated. WhatsApp placeholder.
    {
        "code": "medan-polonia",
        "name": "Kantor Imigrasi Kelas I TPI Polonia",
        "office_class": "I_TPI",
        "city": "Kota Medan",
        "province": "Sumatera Utara",
        "address": "Jl. Mangkubumi No. 2, Kota Medan, Sumatera Utara",
        "timezone": "Asia/Jakarta",
        "phone": "+62 61 453 3117",
        "whatsapp_number": "+6280000000019",
        "whatsapp_is_placeholder": True,
        "daily_capacity": 250,
        "priority_quota": 50,
        "opens_at": "08:00",
        "closes_at": "16:00",
        "saturday": None,
        "slot_minutes": 30,
    },
    # Class verified (Antara Kalteng Aug 2023; BeritaSampit Jan 2023). Hours from the
    # office site palangkaraya.imigrasi.go.id (2020-21): Mon-Thu 08:00-15:30, Fri
    # 08:00-16:00, break 12:00-13:00; Friday variation not modelled. Central Kalimantan is
    # WIB. Address from 2019-era Ditjen Imigrasi helpdesk branch table found in a public
    # GitHub DB dump (tbl_helpdesk_imigration_branchs), unverified; its phone (0536) 21869
    # is in an old 5-digit format, so left empty. Capacity estimated (Kalteng issued
    # ~12,000 passports in 2022 across all offices). Saturday 'Paspor Merdeka' (Aug 2023,
    # 08:00-12:00, 30 quota) was a one-off. WhatsApp placeholder.
    {
        "code": "palangka-raya",
        "name": "Kantor Imigrasi Kelas I Non TPI Palangka Raya",
        "office_class": "I_NON_TPI",
        "city": "Kota Palangka Raya",
        "province": "Kalimantan Tengah",
        "address": "Jl. G. Obos No. 10, Kota Palangka Raya, Kalimantan Tengah",
        "timezone": "Asia/Jakarta",
        "phone": "",
        "whatsapp_number": "+6280000000020",
        "whatsapp_is_placeholder": True,
        "daily_capacity": 60,
        "priority_quota": 12,
        "opens_at": "08:00",
        "closes_at": "15:30",
        "saturday": None,
        "slot_minutes": 60,
    },
    # Class verified (Radar Bali Jun 2022; Antara Bali 2024). M-Paspor quota 250/day,
    # service 07:30-16:00 WITA (Radar Bali Jun 2022). Saturday: Antara Bali (2024) says
    # Saturday passport service continued, 25 slots + uncapped priority lane; Saturday
    # hours not given (08:00-12:00 assumed). Address from TribunTravel 2020; phone from
    # 2019-era Ditjen Imigrasi helpdesk branch table found in a public GitHub DB dump
    # (tbl_helpdesk_imigration_branchs), unverified. Priority estimated. WhatsApp
    # placeholder.
    {
        "code": "denpasar",
        "name": "Kantor Imigrasi Kelas I TPI Denpasar",
        "office_class": "I_TPI",
        "city": "Kota Denpasar",
        "province": "Bali",
        "address": "Jl. D.I. Panjaitan No. 3, Sumerta Kelod (Renon), Denpasar Timur, Kota Denpasar, Bali 80235",
        "timezone": "Asia/Makassar",
        "phone": "+62 361 244340",
        "whatsapp_number": "+6280000000021",
        "whatsapp_is_placeholder": True,
        "daily_capacity": 250,
        "priority_quota": 50,
        "opens_at": "07:30",
        "closes_at": "16:00",
        "saturday": {"opens_at": "08:00", "closes_at": "12:00"},
        "slot_minutes": 30,
    },
    # Class: WaraNews Jul 2025 says 'Kelas I Khusus TPI Makassar'; it was 'Kelas I TPI
    # Makassar' as late as Oct 2023 (Republiknews), with an upgrade planned since 2018
    # (Tribun Timur). Confirm before use. Capacity from 2017 reports (200-250/day;
    # registration opened 07:30 WITA). Address confirmed (Republika 2017; The Editor);
    # phone from 2019-era Ditjen Imigrasi helpdesk branch table found in a public GitHub
    # DB dump (tbl_helpdesk_imigration_branchs), unverified. Priority, hours estimated.
    # WhatsApp placeholder.
    {
        "code": "makassar",
        "name": "Kantor Imigrasi Kelas I Khusus TPI Makassar",
        "office_class": "I_KHUSUS_TPI",
        "city": "Kota Makassar",
        "province": "Sulawesi Selatan",
        "address": "Jl. Perintis Kemerdekaan Km 13, Daya, Tamalanrea, Kota Makassar, Sulawesi Selatan",
        "timezone": "Asia/Makassar",
        "phone": "+62 411 584559",
        "whatsapp_number": "+6280000000022",
        "whatsapp_is_placeholder": True,
        "daily_capacity": 200,
        "priority_quota": 40,
        "opens_at": "08:00",
        "closes_at": "16:00",
        "saturday": None,
        "slot_minutes": 30,
    },
    # Class verified by the office FAQ (kanimmataram.kemenkumham.go.id). That FAQ gives a
    # WhatsApp-only contact centre 0819-9994-9000 and a WhatsApp gateway for passport
    # status 0811-3838-389. These are information lines, not booking lines. M-Paspor quota
    # opens Fridays 16:00 WITA for the next week. Address/phone from 2019-era Ditjen
    # Imigrasi helpdesk branch table found in a public GitHub DB dump
    # (tbl_helpdesk_imigration_branchs); unverified. Capacity, priority, hours estimated.
    {
        "code": "mataram",
        "name": "Kantor Imigrasi Kelas I TPI Mataram",
        "office_class": "I_TPI",
        "city": "Kota Mataram",
        "province": "Nusa Tenggara Barat",
        "address": "Jl. Udayana No. 2, Monjok Barat, Selaparang, Kota Mataram, NTB 83122",
        "timezone": "Asia/Makassar",
        "phone": "+62 370 632520",
        "whatsapp_number": "+6281999949000",
        "whatsapp_is_placeholder": False,
        "daily_capacity": 100,
        "priority_quota": 20,
        "opens_at": "08:00",
        "closes_at": "16:00",
        "saturday": None,
        "slot_minutes": 60,
    },
    # Class verified (Antara Ambon 2023). Address 'Jl. Dr Kaiyadoe, Kudamati' confirmed by
    # Antara 2017/2019; No. 48A and phone from 2019-era Ditjen Imigrasi helpdesk branch
    # table found in a public GitHub DB dump (tbl_helpdesk_imigration_branchs),
    # unverified. Capacity estimated: actual demand ~20-30 applicants/day, up to 40
    # (Antara Jun 2023). Weekend 'Imigrasi goes to Mall' events only. Priority, hours
    # estimated. WhatsApp placeholder.
    {
        "code": "ambon",
        "name": "Kantor Imigrasi Kelas I TPI Ambon",
        "office_class": "I_TPI",
        "city": "Kota Ambon",
        "province": "Maluku",
        "address": "Jl. Dr. Kayadoe No. 48A, Kudamati, Nusaniwe, Kota Ambon, Maluku",
        "timezone": "Asia/Jayapura",
        "phone": "+62 911 353066",
        "whatsapp_number": "+6280000000024",
        "whatsapp_is_placeholder": True,
        "daily_capacity": 50,
        "priority_quota": 10,
        "opens_at": "08:00",
        "closes_at": "16:00",
        "saturday": None,
        "slot_minutes": 60,
    },
    # Class verified (Cenderawasih Pos Sep 2024; Tribun Papua 2023). Address/phone from
    # 2019-era Ditjen Imigrasi helpdesk branch table found in a public GitHub DB dump
    # (tbl_helpdesk_imigration_branchs) and a student repo; no news confirmation found.
    # Capacity estimated (~5,000 passports Jan-early Sep 2024, ~28/day). Priority, hours
    # estimated. WhatsApp placeholder.
    {
        "code": "jayapura",
        "name": "Kantor Imigrasi Kelas I TPI Jayapura",
        "office_class": "I_TPI",
        "city": "Kota Jayapura",
        "province": "Papua",
        "address": "Jl. Percetakan Negara No. 15, Gurabesi, Jayapura Utara, Kota Jayapura, Papua",
        "timezone": "Asia/Jayapura",
        "phone": "+62 967 533647",
        "whatsapp_number": "+6280000000025",
        "whatsapp_is_placeholder": True,
        "daily_capacity": 50,
        "priority_quota": 10,
        "opens_at": "08:00",
        "closes_at": "16:00",
        "saturday": None,
        "slot_minutes": 60,
    },
    # Class verified (Antara Kaltim Jun 2025). Address from the office FAQ
    # (kanimbalikpapan.kemenkumham.go.id). Phone (0542) 421175 from 2019-era Ditjen
    # Imigrasi helpdesk branch table found in a public GitHub DB dump
    # (tbl_helpdesk_imigration_branchs), which lists the address as Sudirman No. 23, so
    # the phone is unverified. Capacity estimated (~11,700 passports in H1 2025, ~95/day).
    # Priority, hours estimated. WhatsApp placeholder.
    {
        "code": "balikpapan",
        "name": "Kantor Imigrasi Kelas I TPI Balikpapan",
        "office_class": "I_TPI",
        "city": "Kota Balikpapan",
        "province": "Kalimantan Timur",
        "address": "Jl. Jend. Sudirman No. 1, Klandasan Ulu, Balikpapan Kota, Kota Balikpapan, Kalimantan Timur",
        "timezone": "Asia/Makassar",
        "phone": "+62 542 421175",
        "whatsapp_number": "+6280000000026",
        "whatsapp_is_placeholder": True,
        "daily_capacity": 120,
        "priority_quota": 25,
        "opens_at": "08:00",
        "closes_at": "16:00",
        "saturday": None,
        "slot_minutes": 60,
    },
]


def _time(text):
    return dt.time.fromisoformat(text)


def _minutes(opens, closes):
    return (closes.hour * 60 + closes.minute) - (opens.hour * 60 + opens.minute)


def _eid_al_fitr_dates(years):
    calendar = holidays.country_holidays("ID", years=years, language="en_US")
    # Future dates are computed, and named "Eid al-Fitr (estimated)" until confirmed.
    return sorted(
        day for day, name in calendar.items() if name.removesuffix(" (estimated)") == "Eid al-Fitr"
    )


def load_offices(apps, schema_editor):
    Office = apps.get_model("offices", "Office")
    OpeningHours = apps.get_model("offices", "OpeningHours")
    CapacityOverride = apps.get_model("offices", "CapacityOverride")
    today = dt.date.today()
    for entry in OFFICES:
        office = Office.objects.create(
            code=entry["code"],
            name=entry["name"],
            office_class=entry["office_class"],
            city=entry["city"],
            province=entry["province"],
            address=entry["address"],
            timezone=entry["timezone"],
            phone=entry["phone"],
            whatsapp_number=entry["whatsapp_number"],
            whatsapp_number_is_placeholder=entry["whatsapp_is_placeholder"],
            slot_minutes=entry["slot_minutes"],
            priority_quota=entry["priority_quota"],
        )
        opens, closes = _time(entry["opens_at"]), _time(entry["closes_at"])
        for weekday in range(5):
            midday = FRIDAY_BREAK if weekday == 4 else WEEKDAY_BREAK
            if entry["code"] in NO_MIDDAY_BREAK and weekday != 4:
                midday = (None, None)
            OpeningHours.objects.create(
                office=office,
                weekday=weekday,
                opens_at=opens,
                closes_at=closes,
                break_starts_at=midday[0],
                break_ends_at=midday[1],
                daily_capacity=entry["daily_capacity"],
            )
        if entry["saturday"]:
            sat_opens = _time(entry["saturday"]["opens_at"])
            sat_closes = _time(entry["saturday"]["closes_at"])
            # Saturday staffing scales with its hours.
            share = _minutes(sat_opens, sat_closes) / _minutes(opens, closes)
            OpeningHours.objects.create(
                office=office,
                weekday=5,
                opens_at=sat_opens,
                closes_at=sat_closes,
                daily_capacity=round(entry["daily_capacity"] * share),
            )
        if entry["code"] in LEBARAN_PEAK:
            for eid in _eid_al_fitr_dates([today.year, today.year + 1]):
                if eid < today:
                    continue
                CapacityOverride.objects.create(
                    office=office,
                    starts_on=eid - dt.timedelta(days=21),
                    ends_on=eid - dt.timedelta(days=1),
                    daily_capacity=LEBARAN_PEAK[entry["code"]],
                    reason="Menjelang Lebaran (Idul Fitri)",
                )


def unload_offices(apps, schema_editor):
    Office = apps.get_model("offices", "Office")
    Office.objects.filter(code__in=[entry["code"] for entry in OFFICES]).delete()


class Migration(migrations.Migration):
    dependencies = [("offices", "0001_initial")]

    operations = [migrations.RunPython(load_offices, unload_offices)]
