"""The Redis cache backend (immigration/cache.py) against the suite's real Redis."""

import threading

from django.core.cache import cache

from immigration import ratelimit


def test_the_redis_client_is_kept_between_calls():
    cache.set("kept", 1)
    first = cache._cache.get_client(write=True)
    cache.get("kept")
    assert cache._cache.get_client(write=True) is first


def test_a_hit_counts_in_one_round_trip_and_the_window_expires():
    client = cache._cache.get_client(write=True)
    key = cache.make_and_validate_key("window")
    sent = []
    original = client.connection_pool.get_connection

    def counting(*args, **kwargs):
        sent.append(1)
        return original(*args, **kwargs)

    client.connection_pool.get_connection = counting
    try:
        assert [cache.hit("window", window_seconds=30) for _ in range(3)] == [1, 2, 3]
    finally:
        client.connection_pool.get_connection = original
    assert len(sent) == 3  # one connection checkout (one pipeline) per hit
    assert 0 < client.ttl(key) <= 30
    assert cache.get("window") == 3  # a plain integer, readable by the cache API


def test_hits_from_many_threads_are_all_counted():
    def hammer():
        for _ in range(50):
            ratelimit.hit("threads", window_seconds=60)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert ratelimit.count("threads") == 400
