"""The compiled one-row lookups (immigration/compiled.py) answer as the ORM does."""

import datetime as dt

import pytest
from django.db.models import Value

from immigration.compiled import CompiledLookup
from offices.access import usable_key
from offices.models import ApiClient, Office
from offices.selectors import active_office, active_offices
from offices.tests.factories import OfficeFactory

pytestmark = pytest.mark.django_db


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def test_active_office_is_the_orms_office_field_for_field():
    office = OfficeFactory(code="kanim-a", same_day_cutoff=dt.time(11, 30))
    found = active_office("kanim-a")
    assert found is not None
    assert found is not office
    assert _fields(found) == _fields(active_offices().get(code="kanim-a"))
    assert found._state.adding is False
    assert found._state.db == "default"
    found.name = "Renamed"
    found.save()  # a normal instance: it saves as one fetched by the ORM
    assert Office.objects.get(pk=office.pk).name == "Renamed"


def test_active_office_is_none_for_an_inactive_or_unknown_code():
    OfficeFactory(code="kanim-closed", is_active=False)
    OfficeFactory(code="kanim-open")
    assert active_office("kanim-closed") is None
    assert active_office("kanim-nowhere") is None
    assert active_office("kanim-open").code == "kanim-open"
    # The compiled SQL follows later changes of the rows, nothing is cached but SQL.
    Office.objects.filter(code="kanim-open").update(is_active=False)
    assert active_office("kanim-open") is None


def test_usable_key_is_the_key_only_with_its_secret_and_unrevoked():
    client, key = ApiClient.objects.create_key(name="gateway")
    assert usable_key(key).pk == client.pk
    prefix = key.partition(".")[0]
    assert usable_key(prefix + ".not-the-secret") is None
    assert usable_key("nope.nope") is None
    ApiClient.objects.filter(pk=client.pk).update(revoked=True)
    assert usable_key(key) is None


def test_a_lookup_that_is_not_plain_is_refused_at_first_use():
    annotated = CompiledLookup(
        lambda code: Office.objects.filter(code=code).annotate(extra=Value(1))
    )
    with pytest.raises(TypeError):
        annotated.get("x")
    twice = CompiledLookup(lambda code: Office.objects.filter(code=code, name=code))
    with pytest.raises(TypeError):
        twice.get("x")


def test_two_rows_raise_as_get_does():
    OfficeFactory(code="kanim-1", city="Kota Sama")
    OfficeFactory(code="kanim-2", city="Kota Sama")
    by_city = CompiledLookup(lambda city: Office.objects.filter(city=city))
    with pytest.raises(Office.MultipleObjectsReturned):
        by_city.get("Kota Sama")


def test_the_lookup_is_prepared_once_per_connection_and_counted_as_a_query():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    OfficeFactory(code="kanim-p")
    with CaptureQueriesContext(connection) as seen:
        for _ in range(3):
            assert active_office("kanim-p").code == "kanim-p"
    assert len(seen.captured_queries) == 3  # still Django's cursor: logged, wrapped
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ['%"offices_office"."code" = $1%'],
        )
        assert cursor.fetchone()[0] == 1


def test_behind_a_transaction_pooler_nothing_is_prepared(settings):
    from django.db import connection

    OfficeFactory(code="kanim-q")
    connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("DEALLOCATE ALL")
        assert active_office("kanim-q").code == "kanim-q"
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements")
            assert cursor.fetchone()[0] == 0
    finally:
        connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = False
