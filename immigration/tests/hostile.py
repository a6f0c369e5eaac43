"""The catalogue of hostile inputs: what a careless client, a broken gateway or an
attacker may send. Each entry has a name, so each becomes its own test id.

The lists are grouped by what they attack; test_hostile_inputs.py says which surface
gets which lists, and which inputs a surface legitimately accepts.
"""

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Hostile:
    name: str
    value: Any

    def __str__(self) -> str:  # the test id
        return self.name


# --- strings, for any field that takes text ---------------------------------------------

TEXTS = [
    Hostile("long_100k", "A" * 100_000),
    Hostile("long_emoji_30k", "\U0001f600" * 30_000),
    Hostile("nul_only", "\x00"),
    Hostile("nul_inside", "SITI\x00NURAINI"),
    Hostile("lone_surrogate", "SITI\ud800NURAINI"),
    Hostile("rtl_override", "\u202eINIARUN ITIS"),
    Hostile("zero_width_joiners", "SI\u200dTI NUR\u200bAI\u200cNI\ufeff"),
    Hostile("homoglyph_cyrillic", "S\u0406T\u0406 NUR\u0410INI"),
    Hostile(
        "homoglyph_small_capitals",
        "\ua731\u026a\u1d1b\u026a \u0274\u1d1c\u0280\u1d00\u026a\u0274\u026a",
    ),
    Hostile(
        "homoglyph_fullwidth", "\uff33\uff29\uff34\uff29 \uff2e\uff35\uff32\uff21\uff29\uff2e\uff29"
    ),
    Hostile("homoglyph_dotted_i", "S\u0130T\u0130 NURA\u0130N\u0130"),
    Hostile("sql_or_1_eq_1", "' OR 1=1 --"),
    Hostile("sql_drop_table", "Robert'); DROP TABLE bookings_booking;--"),
    Hostile("html_script", "<script>alert(1)</script>"),
    Hostile("html_attribute_break", '"><img src=x onerror=alert(1)>'),
    Hostile("template_injection", "{{ settings.SECRET_KEY }}{% debug %}"),
    Hostile("emoji", "\U0001f600\U0001f1ee\U0001f1e9\U0001f468\u200d\U0001f469\u200d\U0001f467"),
    Hostile("whitespace_only", " \t\n\u00a0\u3000 "),
    Hostile("empty", ""),
    Hostile("control_characters", "SITI\x1b[31m\x07\x08\x7f"),
    Hostile("crlf_injection", "SITI\r\nSet-Cookie: admin=1"),
    Hostile("format_string", "%s%s%n%(name)s{0}{name!r}"),
    Hostile("zalgo_combining", "S\u0337\u0322\u031bI\u0338T\u0335I\u0336" * 3),
    Hostile("mixed_scripts", "Siti \u0646\u0648\u0631 \u674e \u0938\u0940\u0924\u093e"),
    Hostile("path_traversal", "../../../../etc/passwd"),
    Hostile("noncharacters", "\ufffe\uffff\U0010ffff"),
]

# --- the wrong JSON type where a string (or number) is expected -------------------------

WRONG_TYPES = [
    Hostile("int", 12345),
    Hostile("negative_int", -1),
    Hostile("float", 1.5),
    Hostile("huge_int", 10**100),
    Hostile("true", True),
    Hostile("false", False),
    Hostile("null", None),
    Hostile("empty_list", []),
    Hostile("list_of_strings", ["SITI", "BUDI"]),
    Hostile("empty_object", {}),
    Hostile("nosql_operator", {"$ne": None}),
]

# --- dates, as a person, a broken client or an attacker writes them ---------------------

DATES = [
    Hostile("feb_31_dmy", "31-02-2027"),
    Hostile("feb_31_iso", "2027-02-31"),
    Hostile("feb_29_not_leap", "2027-02-29"),
    Hostile("zeros_dmy", "00-00-0000"),
    Hostile("zeros_iso", "0000-00-00"),
    Hostile("year_0001", "0001-01-01"),
    Hostile("year_9999", "9999-12-31"),
    Hostile("month_13", "2027-13-01"),
    Hostile("negative_year", "-2027-01-01"),
    Hostile("five_digit_year", "20270-01-01"),
    Hostile("datetime_not_date", "2027-01-04T08:00:00+07:00"),
    Hostile("nan_text", "NaN"),
    Hostile("unix_timestamp", "1798416000"),
]

# --- numbers where a small positive id is expected (slot ids) ---------------------------

NUMBERS = [
    Hostile("zero", 0),
    Hostile("minus_one", -1),
    Hostile("int32_overflow", 2**31),
    Hostile("int64_overflow", 2**63),
    Hostile("googol", 10**100),
    Hostile("fraction", 0.5),
    Hostile("exponent_overflow_text", "1e309"),
    Hostile("nan_string", "NaN"),
    Hostile("infinity_string", "Infinity"),
    Hostile("hex_string", "0x10"),
]


# --- raw request bodies -----------------------------------------------------------------


@dataclass(frozen=True)
class Body:
    """A raw request body: bytes exactly as sent, with their content type."""

    name: str
    data: bytes
    content_type: str = "application/json"
    status: int = 400  # what every JSON endpoint must answer

    def __str__(self) -> str:
        return self.name


def _deep(levels: int, open_: str, close: str, core: str = "1") -> bytes:
    return (open_ * levels + core + close * levels).encode()


BODIES = [
    Body("huge_json_5mb_string", json.dumps({"name": "A" * 5_000_000}).encode(), status=413),
    Body(
        "huge_json_5mb_many_keys",
        json.dumps({f"k{i}": i for i in range(400_000)}).encode(),
        status=413,
    ),
    Body("deep_nesting_lists_10k", _deep(10_000, "[", "]")),
    Body("deep_nesting_objects_10k", _deep(10_000, '{"a":', "}")),
    Body("duplicate_keys", b'{"name": "SITI", "name": "BUDI", "birth_date": "1978-06-17"}'),
    Body("invalid_utf8", b'{"name": "\xff\xfe\xc3\x28", "birth_date": "1978-06-17"}'),
    Body("utf8_bom", b'\xef\xbb\xbf{"birth_date": "1978-06-17"}'),
    Body("nan_literal", b'{"birth_date": "1978-06-17", "slot": NaN}'),
    Body("infinity_literal", b'{"birth_date": "1978-06-17", "slot": -Infinity}'),
    Body("int_5000_digits", b'{"birth_date": "1978-06-17", "slot": ' + b"9" * 5000 + b"}"),
    Body("truncated", b'{"name": "SI'),
    Body("top_level_array", b'[{"birth_date": "1978-06-17"}]'),
    Body("top_level_null", b"null"),
    Body("top_level_string", b'"1978-06-17"'),
    Body("text_plain", b'{"birth_date": "1978-06-17"}', "text/plain", status=415),
    Body("xml", b"<birth_date>1978-06-17</birth_date>", "application/xml", status=415),
    # JSON endpoints take JSON only: any other body type is 415 before it is parsed.
    Body("multipart_without_boundary", b"--x\r\n", "multipart/form-data", 415),
    Body("json_declared_utf16", b'{"birth_date": "1978-06-17"}', "application/json;charset=utf-16"),
]


# --- evidence files ---------------------------------------------------------------------


@dataclass(frozen=True)
class File:
    name: str
    filename: str
    data: bytes
    content_type: str = "application/octet-stream"
    # Accepted files are stored re-encoded: `absent` bytes must not survive; the
    # original name is kept only cleaned of paths, markup and control characters.
    accepted: bool = False
    absent: bytes | None = None

    def __str__(self) -> str:
        return self.name


def _png(size=(8, 8)) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, "red").save(out, format="PNG")
    return out.getvalue()


def _png_bomb() -> bytes:
    """A valid PNG header claiming 100000 x 100000 pixels: tiny file, huge image."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    chunks = chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


_PDF_WITH_JS = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >> "
    b">> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)
_PDF_HEX_ESCAPED_JS = _PDF_WITH_JS.replace(b"/JavaScript", b"/J#61vaScript").replace(
    b"/OpenAction", b"/Open#41ction"
)
SCRIPT = b"<script>alert(1)</script>"


def files() -> list[File]:
    png = _png()
    return [
        File("zero_byte", "foto.jpg", b"", "image/jpeg"),
        File("text_named_jpg", "foto.jpg", b"just some text, not a photo", "image/jpeg"),
        File("html_named_png", "foto.png", b"<html>" + SCRIPT + b"</html>", "image/png"),
        File("svg_with_script", "foto.svg", b"<svg>" + SCRIPT + b"</svg>", "image/svg+xml"),
        File("exe_named_pdf", "bukti.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200, "application/pdf"),
        File("png_named_jpg", "foto.jpg", png, "image/jpeg"),
        File("png_declared_html", "foto.png", png, "text/html"),
        File("pdf_with_javascript", "bukti.pdf", _PDF_WITH_JS, "application/pdf"),
        File("pdf_hex_escaped_javascript", "bukti.pdf", _PDF_HEX_ESCAPED_JS, "application/pdf"),
        File("pdf_truncated", "bukti.pdf", b"%PDF-1.4\n1 0 obj << >> endobj\n", "application/pdf"),
        File("png_truncated", "foto.png", png[: len(png) // 2], "image/png"),
        File("png_decompression_bomb", "foto.png", _png_bomb(), "image/png"),
        # Accepted: a real PNG with HTML appended (a polyglot). Re-encoding keeps the
        # pixels only, so the script does not reach storage.
        File("polyglot_png_html", "foto.png", png + SCRIPT, "image/png", True, SCRIPT),
        # Accepted: a real PNG under a hostile name. The stored name is random; the
        # original name is kept cleaned of path and markup.
        File("path_traversal_name", "../../../etc/<b>pass</b>.png", png, "image/png", True),
        File("nul_in_name", "foto\x00.php.png", png, "image/png", accepted=True),
    ]


# --- WhatsApp messages ------------------------------------------------------------------

# The next bookable Monday in the tests' clock (see test_hostile_inputs.NOW).
GOOD_DAY = "07122026"

MESSAGES = [
    Hostile("book_name_html", f"#<script>alert(1)</script>#17061978#{GOOD_DAY}#"),
    Hostile("book_name_sql", f"#' OR 1=1 --#17061978#{GOOD_DAY}#"),
    Hostile("book_name_emoji_only", f"#\U0001f600\U0001f600#17061978#{GOOD_DAY}#"),
    Hostile("book_name_mixed_scripts", f"#Siti \u0646\u0648\u0631 \u674e#17061978#{GOOD_DAY}#"),
    Hostile("book_name_rtl_override", f"#\u202eINIARUN ITIS#17061978#{GOOD_DAY}#"),
    Hostile("book_name_zero_width", f"#SI\u200dTI#17061978#{GOOD_DAY}#"),
    Hostile("book_name_homoglyph", f"#S\u0406T\u0406#17061978#{GOOD_DAY}#"),
    Hostile("book_name_small_capitals", f"#\ua731\u026a\u1d1b\u026a#17061978#{GOOD_DAY}#"),
    Hostile("book_name_too_long", f"#{'A' * 5000}#17061978#{GOOD_DAY}#"),
    Hostile("book_name_whitespace", f"#   \t  #17061978#{GOOD_DAY}#"),
    Hostile("book_too_few_fields", "#SITI#17061978#"),
    Hostile("book_too_many_fields", f"#SITI#17061978#{GOOD_DAY}#EXTRA#MORE#"),
    Hostile("book_only_hashes_10k", "#" * 10_000),
    Hostile("book_many_lines", "\n".join([f"#ORANG#17061978#{GOOD_DAY}#"] * 300)),
    Hostile("book_birth_feb_31", f"#SITI#31021978#{GOOD_DAY}#"),
    Hostile("book_birth_zeros", f"#SITI#00000000#{GOOD_DAY}#"),
    Hostile("book_birth_year_0001", f"#SITI#01010001#{GOOD_DAY}#"),
    Hostile("book_birth_future", f"#SITI#01019999#{GOOD_DAY}#"),
    Hostile("book_visit_year_9999", "#SITI#17061978#31129999#"),
    Hostile("book_visit_year_0001", "#SITI#17061978#01010001#"),
    Hostile("book_visit_past", "#SITI#17061978#01012020#"),
    Hostile("book_visit_feb_29_not_leap", "#SITI#17061978#29022027#"),
    Hostile("book_two_digit_years", "#SITI#170678#071226#"),
    Hostile("book_negative_date", "#SITI#-1-06-1978#07-12-2026#"),
    Hostile(
        "book_arabic_digits",
        "#SITI#\u0661\u0667\u0660\u0666\u0661\u0669\u0667\u0668#07122026#",
    ),
    Hostile("only_whitespace", " \t\n \u00a0 \n"),
    Hostile("emoji_only", "\U0001f600\U0001f44d\U0001f1ee\U0001f1e9"),
    Hostile("html_only", "<script>alert(1)</script>"),
    Hostile("nul_bytes", "\x00\x00INFO\x00"),
    Hostile("book_name_lone_surrogate", "#SITI\ud800#17061978#07122026#"),
    Hostile("terminal_escapes", "\x1b[2J\x07\x08INFO"),
    Hostile("status_html_code", "STATUS <script>alert(1)</script>"),
    Hostile("status_long_code", "STATUS " + "A" * 10_000),
    Hostile("cancel_sql_code", "BATAL ' OR 1=1 --"),
    Hostile("lapor_only_keyword", "LAPOR"),
    Hostile("lapor_huge_text", "LAPOR PUNGLI " + "minta uang " * 1_000),
    Hostile("lapor_nul_only", "LAPOR PUNGLI \x00\x00"),
    # Accepted: a report may be written in any script, with emoji or markup; it is
    # stored as written and escaped wherever it is shown.
    Hostile("lapor_html", "LAPOR CALO <script>alert(1)</script> di parkiran"),
    Hostile("lapor_emoji", "LAPOR PUNGLI \U0001f4b0\U0001f4b0 diminta Rp500.000 \U0001f621"),
]

ACCEPTED_MESSAGES = {"lapor_html", "lapor_emoji"}


# --- signed Cloud API deliveries with odd shapes ----------------------------------------

SENDER = "6281234567890"
PHONE_NUMBER_ID = "109876543210"


def cloud_message(**overrides) -> dict:
    # Sent at the catalogue's clock (30 Nov 2026 02:00 UTC): fresh for the replay window.
    message = {"from": SENDER, "id": "wamid.hostile", "timestamp": "1796004000", "type": "text"}
    message["text"] = {"body": "INFO"}
    message.update(overrides)
    return message


def cloud_payload(*, messages=None, statuses=None, metadata=None, value=None) -> dict:
    """A Cloud API delivery; each part can be replaced by something hostile."""
    if value is None:
        value = {
            "messaging_product": "whatsapp",
            "metadata": {"phone_number_id": PHONE_NUMBER_ID} if metadata is None else metadata,
            "messages": [cloud_message()] if messages is None else messages,
        }
        if statuses is not None:
            value["statuses"] = statuses
    return {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": value}]}]}


@dataclass(frozen=True)
class Delivery:
    """A signed delivery. `replied`: the sender gets a polite answer; otherwise the
    message is skipped (nothing stored, nothing sent)."""

    name: str
    payload: Any
    replied: bool = False

    def __str__(self) -> str:
        return self.name


DELIVERIES = [
    Delivery("entry_not_a_list", {"entry": "x"}),
    Delivery("changes_not_a_list", {"entry": [{"changes": {"value": {}}}]}),
    Delivery("value_a_list", cloud_payload(value=[cloud_message()])),
    Delivery("messages_an_object", cloud_payload(messages={"0": cloud_message()})),
    Delivery("from_too_long", cloud_payload(messages=[cloud_message(**{"from": "6" * 40})])),
    Delivery("from_letters", cloud_payload(messages=[cloud_message(**{"from": "<script>"})])),
    Delivery("from_nul", cloud_payload(messages=[cloud_message(**{"from": "62812\x00"})])),
    Delivery("from_object", cloud_payload(messages=[cloud_message(**{"from": {"a": 1}})])),
    Delivery("id_too_long", cloud_payload(messages=[cloud_message(id="w" * 1000)])),
    Delivery("id_nul", cloud_payload(messages=[cloud_message(id="wamid.\x00")])),
    Delivery("id_a_list", cloud_payload(messages=[cloud_message(id=["wamid.1"])])),
    Delivery("text_nul", cloud_payload(messages=[cloud_message(text={"body": "IN\x00FO"})]), True),
    Delivery(
        "text_lone_surrogate",
        cloud_payload(messages=[cloud_message(text={"body": "#SITI\ud800#17061978#07122026#"})]),
        True,
    ),
    Delivery(
        "text_100k", cloud_payload(messages=[cloud_message(text={"body": "#" * 100_000})]), True
    ),
    Delivery("text_a_number", cloud_payload(messages=[cloud_message(text={"body": 12345})]), True),
    Delivery("text_not_an_object", cloud_payload(messages=[cloud_message(text="INFO")]), True),
    # An unreadable timestamp is never fresh: dropped as a possible replay, unanswered.
    Delivery("timestamp_huge", cloud_payload(messages=[cloud_message(timestamp="9" * 400)])),
    Delivery("timestamp_negative", cloud_payload(messages=[cloud_message(timestamp="-9" * 20)])),
    # An unknown office number is answered: "this number does not take bookings".
    Delivery("phone_number_id_nul", cloud_payload(metadata={"phone_number_id": "1098\x00"}), True),
    Delivery(
        "phone_number_id_object", cloud_payload(metadata={"phone_number_id": {"$ne": 1}}), True
    ),
    Delivery(
        "status_id_nul", cloud_payload(messages=[], statuses=[{"id": "\x00", "status": "read"}])
    ),
    Delivery(
        "status_error_huge",
        cloud_payload(
            messages=[],
            statuses=[{"id": "wamid.x", "status": "failed", "errors": [{"title": "E" * 100_000}]}],
        ),
    ),
]


def every_input() -> dict[str, list[str]]:
    """The distinct inputs of the catalogue, per list (for counting)."""
    return {
        "TEXTS": [h.name for h in TEXTS],
        "WRONG_TYPES": [h.name for h in WRONG_TYPES],
        "DATES": [h.name for h in DATES],
        "NUMBERS": [h.name for h in NUMBERS],
        "BODIES": [b.name for b in BODIES],
        "FILES": [f.name for f in files()],
        "MESSAGES": [m.name for m in MESSAGES],
        "DELIVERIES": [d.name for d in DELIVERIES],
    }


# What people write in a report, in any script, with markup, quotes or emoji: stored
# as written, escaped wherever shown (the API and the /lapor/ page alike). Invalid
# UTF-8 arrives as U+FFFD characters.
FREE_TEXT = {
    "lone_surrogate",
    "rtl_override",
    "zero_width_joiners",
    "homoglyph_cyrillic",
    "homoglyph_small_capitals",
    "homoglyph_fullwidth",
    "homoglyph_dotted_i",
    "sql_or_1_eq_1",
    "sql_drop_table",
    "html_script",
    "html_attribute_break",
    "template_injection",
    "emoji",
    "control_characters",
    "crlf_injection",
    "format_string",
    "zalgo_combining",
    "mixed_scripts",
    "path_traversal",
    "noncharacters",
}
