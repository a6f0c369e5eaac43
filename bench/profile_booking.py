"""Where a booking request's time goes: `make bench-profile`.

Books 300 places of a 400-place day one after another through the whole Django stack
(test client: middleware, DRF, the service, the outbox row), then sends 300 requests
for the same day once it is full, under pyinstrument; prints both profiles and the
SQL statements of one booking and of one refusal. In-process and sequential, so the
profile shows our code's own cost, not queueing.
"""

import os
import sys

from bench.servers import configure_environment


def main() -> None:
    configure_environment()
    os.environ["LOG_LEVEL"] = "WARNING"  # no access line per request in the output
    import subprocess

    from bench.servers import BIN, ROOT

    subprocess.run(
        [str(BIN / "python"), "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, check=True
    )
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from pyinstrument import Profiler

    from bench import rush
    from bench.load import address
    from offices.models import Office, Slot

    office = Office.objects.get(code=rush.OFFICE)
    day = rush.bookable_days(office)[0]
    rush.reset(office, {day: rush.PLACES})
    requests = rush.applicant_requests(office, [day], run=0)
    client = Client(HTTP_HOST="127.0.0.1")

    sent = iter(range(1, 1_000_000))

    def post(request):
        # Each applicant from an address of their own, through the (pretend) proxy.
        response = client.post(
            request.path,
            request.body,
            content_type="application/json",
            HTTP_X_FORWARDED_FOR=address(next(sent)),
        )
        return response.status_code

    def statements(request, status):
        seen = []

        def record(execute, sql, params, many, context):
            seen.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            assert post(request) == status
        return seen

    assert post(requests[0]) == 201
    one_booking = statements(requests[1], 201)
    booking = Profiler(interval=0.0005)
    with booking:
        for request in requests[2:300]:
            assert post(request) == 201
    for request in requests[300:400]:
        assert post(request) == 201
    assert sum(Slot.objects.filter(office=office, date=day).values_list("booked", flat=True)) == 400
    one_refusal = statements(requests[400], 409)
    refusal = Profiler(interval=0.0005)
    with refusal:
        for request in requests[401:701]:
            assert post(request) == 409

    show = os.environ.get("PROFILE_SQL", "1") == "1"
    for title, captured in (("booking", one_booking), ("refusal (day full)", one_refusal)):
        print(f"\n=== SQL of one {title}: {len(captured)} statements")
        if show:
            for sql in captured:
                print("  ", sql[:160])
    print("\n=== 298 bookings")
    print(booking.output_text(unicode=False, color=False, show_all=False))
    print("\n=== 300 refusals of a full day")
    print(refusal.output_text(unicode=False, color=False, show_all=False))


if __name__ == "__main__":
    sys.exit(main())
