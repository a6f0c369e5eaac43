"""Races on real PostgreSQL: several calls released at the same instant, each in its
own thread and database connection (tests of locks and constraints use it)."""

import threading

from django.db import connection


def race(calls):
    """Run each call in its own thread and connection at the same instant; return
    (results, errors)."""
    barrier = threading.Barrier(len(calls))
    results, errors = [], []
    lock = threading.Lock()

    def run(call):
        try:
            barrier.wait()
            outcome = call()
            with lock:
                results.append(outcome)
        except Exception as exc:  # collected for the assertions
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors
