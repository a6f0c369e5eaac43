"""QR codes of booking codes: what the door scanner reads. They encode the code only,
never a name or birth date, so a photographed QR leaks nothing else. A hold's page
also draws its WhatsApp click-to-chat link (`text_qr_svg`)."""

import io
import struct
import zlib

import qrcode
import qrcode.image.svg
from qrcode.constants import ERROR_CORRECT_M

from bookings.codes import display

# A booking code as printed (XXXX-XXXX) is 9 characters of QR's alphanumeric set, and
# version 1 at medium correction holds 20: every code is version 1, so the search for
# the smallest version that fits (a third of drawing the matrix) is skipped.
CODE_VERSION = 1
BOX = 8  # pixels a module (a multiple of 8: see _png)
BORDER = 4  # modules of quiet zone, the spec's


def _qr(code: str) -> qrcode.QRCode:
    return _qr_of(display(code), version=CODE_VERSION)


# Any of the eight masks gives a valid code that every scanner reads; choosing the best one
# by the spec's penalty score is two thirds of drawing a QR (about 2 ms of the worker per
# confirmation). Mask 0 is the one the penalty picks most often for booking codes, and
# tests decode codes drawn with it (bookings/tests/test_qr_decodes.py).
FIXED_MASK = 0


def _qr_of(data: str, version: int | None = None) -> qrcode.QRCode:
    # Medium error correction survives a cracked phone screen. `version` None: the
    # smallest that holds `data`; a version too small for it raises DataOverflowError.
    qr = qrcode.QRCode(
        version=version,
        error_correction=ERROR_CORRECT_M,
        box_size=BOX,
        border=BORDER,
        mask_pattern=FIXED_MASK,
    )
    qr.add_data(data)
    qr.make(fit=version is None)
    return qr


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(modules: list[list[bool]]) -> bytes:
    """The module matrix as a black-and-white PNG, BOX pixels a module with a BORDER
    of quiet zone: the same pixels qrcode's PIL image gives (test_qr_decodes.py), for a
    quarter of its CPU. At 8 pixels a module, a module is one byte of a 1-bit row
    (0x00 black, 0xFF white), so a row is its modules' bytes, drawn once and repeated.
    zlib's fastest level: its ~370 bytes against ~230 at level 9 cost a third less CPU."""
    black, white = b"\0" * (BOX // 8), b"\xff" * (BOX // 8)
    width = len(modules) + 2 * BORDER
    quiet = b"\0" + white * width  # each row starts with PNG's filter byte (none)
    edge = white * BORDER
    rows = [quiet] * (BORDER * BOX)
    for modules_row in modules:
        row = b"\0" + edge + b"".join(black if dark else white for dark in modules_row) + edge
        rows += [row] * BOX
    rows += [quiet] * (BORDER * BOX)
    side = width * BOX
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 1))
        + _chunk(b"IEND", b"")
    )


def qr_png(code: str) -> bytes:
    """The booking code's QR as a PNG: what the confirmation carries (the worker draws
    it when it sends) and the API serves."""
    return _png(_qr(code).modules)


def qr_svg(code: str) -> bytes:
    buffer = io.BytesIO()
    _qr(code).make_image(image_factory=qrcode.image.svg.SvgPathImage).save(buffer)
    return buffer.getvalue()


def text_qr_svg(text: str) -> bytes:
    """Any short text as a QR code (a hold's WhatsApp click-to-chat link)."""
    buffer = io.BytesIO()
    _qr_of(text).make_image(image_factory=qrcode.image.svg.SvgPathImage).save(buffer)
    return buffer.getvalue()
