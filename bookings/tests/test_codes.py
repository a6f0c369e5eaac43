import math
from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from bookings import codes


def test_the_alphabet_has_no_look_alikes():
    assert not set("0O1IL") & set(codes.ALPHABET)
    assert len(set(codes.ALPHABET)) == len(codes.ALPHABET) == 31


def test_codes_carry_nearly_40_bits():
    assert math.log2(len(codes.ALPHABET) ** codes.LENGTH) > 39.6


def test_new_codes_are_canonical_and_do_not_repeat():
    drawn = {codes.new_code() for _ in range(10_000)}
    assert len(drawn) == 10_000
    assert all(codes.canonical(code) == code for code in drawn)


def test_codes_drawn_in_bulk_are_canonical_do_not_repeat_and_use_every_symbol_evenly():
    drawn = codes.new_codes(20_000)
    assert len(drawn) == len(set(drawn)) == 20_000
    assert all(codes.canonical(code) == code for code in drawn)
    assert codes.new_codes(0) == []
    assert len(codes.new_codes(1)) == 1
    # 160,000 symbols, 31 kinds: each about 5,161 times, give or take 71 (one standard
    # deviation). A modulo bias (bytes 248 to 255 kept) would give the first 8 symbols
    # 5,625 each; chance alone stays within 400 (5.6 deviations).
    counts = Counter("".join(drawn))
    assert set(counts) == set(codes.ALPHABET)
    expected = 8 * 20_000 / len(codes.ALPHABET)
    assert all(abs(n - expected) < 400 for n in counts.values()), counts


@given(st.text(alphabet=codes.ALPHABET, min_size=8, max_size=8))
def test_codes_come_back_with_or_without_dash_in_any_case(code):
    shown = codes.display(code)
    assert shown[4] == "-"
    for typed in (shown, shown.lower(), code.lower(), f" {shown} ", shown.replace("-", " - ")):
        assert codes.canonical(typed) == code


def test_what_cannot_be_a_code_is_refused():
    for typed in ("", "ABCD-EFG", "ABCD-EFGHJ", "ABCD-EFG0", "ABCD-EFGI", "ABCD_EFGH", None):
        assert codes.canonical(typed) is None
