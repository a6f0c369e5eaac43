import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bookings.conversation.parser import BookLine, format_book_line, parse, parse_date


@pytest.mark.parametrize(
    "text",
    [
        "#JOJO#27061978#08082017#",
        "#JOJO#27061978#08082017",  # the closing # left out, as in the article
        "  # jojo # 27061978 # 08082017 #  ",
        "#Jojo#27-06-1978#08/08/2017#",
        "#JOJO#27.06.1978#8-8-2017#",
        "\n\n#JOJO#27061978#08082017#\n",
    ],
)
def test_what_people_really_type_is_read(text):
    command = parse(text)
    assert command.action == "book"
    assert command.errors == ()
    [line] = command.lines
    assert line.birth_date == dt.date(1978, 6, 27)
    assert line.service_date == dt.date(2017, 8, 8)
    assert line.name.strip().upper() == "JOJO"


def test_a_family_sends_several_lines_in_one_message():
    command = parse("#BAPAK#01011980#08082027#\r\n#IBU#02021982#08082027\n#ANAK#03032012#08082027#")
    assert [line.name for line in command.lines] == ["BAPAK", "IBU", "ANAK"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("#JOJO#270678#08082017#", "two_digit_year"),
        ("#JOJO#27-06-78#08082017#", "two_digit_year"),
        ("#JOJO#31042017#08082017#", "invalid_date"),  # 31 April
        ("#JOJO#29022017#08082017#", "invalid_date"),  # not a leap year
        ("#JOJO#27061978#", "bad_format"),
        ("##27061978#08082017#", "bad_format"),
        ("# #27061978#08082017#", "empty_name"),
        ("#JOJO#tomorrow#08082017#", "bad_format"),
        ("#JOJO#\u0662\u0667\u0660\u0666\u0661\u0669\u0667\u0668#08082017#", "bad_format"),
    ],
)
def test_what_cannot_be_read_gets_a_reason(text, reason):
    command = parse(text)
    assert command.action == "book"
    assert [error.reason for error in command.errors] == [reason]


def test_29_february_of_a_leap_year_is_fine():
    assert parse_date("29022028") == dt.date(2028, 2, 29)


@pytest.mark.parametrize(
    ("text", "action", "extra"),
    [
        ("STATUS ABCD-EFGH", "status", {"code": "ABCDEFGH"}),
        ("status abcdefgh", "status", {"code": "ABCDEFGH"}),
        ("BATAL ABCD-EFGH", "cancel", {"code": "ABCDEFGH"}),
        ("cancel abcd efgh", "cancel", {"code": "ABCDEFGH"}),
        ("BATAL 1234", "cancel", {"code": None}),
        ("INFO", "help", {}),
        ("bantuan", "help", {}),
        ("HELP", "help", {}),
        ("EN", "language", {"language": "en"}),
        ("english", "language", {"language": "en"}),
        ("ID", "language", {"language": "id"}),
        ("halo, mau tanya", "unknown", {}),
        ("", "help", {}),
    ],
)
def test_keywords(text, action, extra):
    command = parse(text)
    assert command.action == action
    for key, value in extra.items():
        assert getattr(command, key) == value


@given(st.text())
def test_the_parser_never_raises(text):
    assert parse(text).action in {
        "book",
        "status",
        "cancel",
        "help",
        "language",
        "confirm",
        "unknown",
    }


names = st.text(
    alphabet=st.characters(whitelist_categories=["Lu"], max_codepoint=0x7F)
    | st.sampled_from(" '.-"),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip(" ") and "#" not in s)
dates = st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(9999, 12, 31))


@given(names, dates, dates)
def test_every_well_formed_line_parses_back_to_what_was_formatted(name, birth, service):
    command = parse(format_book_line(name, birth, service))
    assert command.lines == (BookLine(name.strip(), birth, service),)
