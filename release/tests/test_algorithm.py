"""The draw as a pure function: properties over random entries and seeds (Hypothesis),
and a 20,000-request draw for a 400-place day."""

import random
import secrets
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from release.algorithm import Entry, allocate, commitment, draw_order

DAYS = ["2027-01-04", "2027-01-05", "2027-01-06", "2027-01-07"]

seeds = st.binary(min_size=32, max_size=32).map(bytes.hex)
capacities = st.fixed_dictionaries({day: st.integers(0, 12) for day in DAYS})


@st.composite
def entry_lists(draw):
    names = draw(
        st.lists(st.text("0123456789abcdef", min_size=16, max_size=16), unique=True, max_size=60)
    )
    return [
        Entry(
            name,
            draw(st.integers(1, 5)),
            tuple(draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=3, unique=True))),
        )
        for name in names
    ]


def _check_invariants(entries, caps, outcomes):
    by_name = {e.pseudonym: e for e in entries}
    assert sorted(o.pseudonym for o in outcomes) == sorted(by_name)  # each entry exactly once
    assert [o.rank for o in outcomes] == list(range(1, len(entries) + 1))
    used = dict.fromkeys(DAYS, 0)
    for o in outcomes:
        if o.day:
            assert o.day in by_name[o.pseudonym].preferences
            used[o.day] += by_name[o.pseudonym].people  # the whole family, together
    for day in DAYS:
        assert used[day] <= caps[day]  # never more places given than there are
    # Preferences honoured in draw order: an entry placed on its k-th choice, or waiting,
    # found no room on earlier choices when its turn came.
    left = dict(caps)
    for o in outcomes:
        entry = by_name[o.pseudonym]
        fitting = [d for d in entry.preferences if left[d] >= entry.people]
        assert o.day == (fitting[0] if fitting else None)
        if o.day:
            left[o.day] -= entry.people
    waiting = [o for o in outcomes if o.day is None]
    # The waiting list is exactly the rest, in draw order, numbered from 1.
    assert [o.waitlist_position for o in waiting] == list(range(1, len(waiting) + 1))
    assert all(o.waitlist_position is None for o in outcomes if o.day)


@settings(max_examples=300, deadline=None)
@given(seeds, entry_lists(), capacities, st.randoms(use_true_random=False))
def test_allocation_invariants_hold_whatever_the_storage_order(seed, entries, caps, rnd):
    outcomes = allocate(seed, entries, caps)
    _check_invariants(entries, caps, outcomes)
    shuffled = list(entries)
    rnd.shuffle(shuffled)
    assert allocate(seed, shuffled, caps) == outcomes


@settings(max_examples=100, deadline=None)
@given(seeds, seeds, entry_lists())
def test_the_order_depends_on_the_seed(seed, other, entries):
    if len(entries) >= 8 and seed != other:
        # 8! orders: the same for two seeds by chance once in 40,320.
        assert [e.pseudonym for e in draw_order(seed, entries)] != [
            e.pseudonym for e in draw_order(other, entries)
        ]


def test_commitment_is_the_sha256_of_the_seed_bytes():
    assert commitment("00" * 32) == (
        "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925"
    )


def test_a_family_that_does_not_fit_is_not_split_and_a_smaller_one_after_it_fits():
    seed = "11" * 32
    entries = [Entry(f"{n:016x}", 3, (DAYS[0],)) for n in range(3)] + [
        Entry("f" * 16, 1, (DAYS[0],))
    ]
    outcomes = allocate(seed, entries, {DAYS[0]: 4})
    placed = {o.pseudonym: o.day for o in outcomes}
    assert sum(1 for o in outcomes if o.day and o.pseudonym != "f" * 16) == 1
    assert placed["f" * 16] == DAYS[0]  # 3 + 1 = 4: the single fits after any family


def test_twenty_thousand_requests_for_a_400_place_day():
    rnd = random.Random(20_000)  # noqa: S311 - test data, not the draw
    entries = [
        Entry(
            secrets.token_hex(8),
            rnd.choice([1, 1, 1, 2, 3, 4, 5]),
            tuple(rnd.sample(DAYS[:3], rnd.randint(1, 3))),
        )
        for _n in range(20_000)
    ]
    caps = {DAYS[0]: 400, DAYS[1]: 400, DAYS[2]: 400}
    started = time.perf_counter()
    outcomes = allocate(secrets.token_hex(32), entries, caps)
    elapsed = time.perf_counter() - started
    print(f"\n20,000-request draw (pure): {elapsed:.3f} s")
    caps_all = {**caps, DAYS[3]: 0}
    _check_invariants(entries, caps_all, outcomes)
    by_name = {e.pseudonym: e for e in entries}
    given_out = sum(by_name[o.pseudonym].people for o in outcomes if o.day)
    # Far more demand than places: all but a few places go (a family may not fit the
    # last few), and never more than there are.
    assert 1200 - 4 * 3 <= given_out <= 1200
