"""QR codes of booking codes: what the door scanner reads. They encode the code only,
never a name or birth date, so a photographed QR leaks nothing else. A hold's page
also draws its WhatsApp click-to-chat link (`text_qr_svg`)."""

import io

import qrcode
import qrcode.image.svg
from qrcode.constants import ERROR_CORRECT_M

from bookings.codes import display


def _qr(code: str) -> qrcode.QRCode:
    return _qr_of(display(code))


# Any of the eight masks gives a valid code that every scanner reads; choosing the best one
# by the spec's penalty score is two thirds of drawing a QR (about 2 ms of the worker per
# confirmation). Mask 0 is the one the penalty picks most often for booking codes, and
# tests decode codes drawn with it (bookings/tests/test_qr_decodes.py).
FIXED_MASK = 0


def _qr_of(data: str) -> qrcode.QRCode:
    # Medium error correction survives a cracked phone screen; border 4 is the spec's.
    qr = qrcode.QRCode(
        error_correction=ERROR_CORRECT_M, box_size=8, border=4, mask_pattern=FIXED_MASK
    )
    qr.add_data(data)
    qr.make(fit=True)
    return qr


def qr_png(code: str) -> bytes:
    buffer = io.BytesIO()
    _qr(code).make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()


def qr_svg(code: str) -> bytes:
    buffer = io.BytesIO()
    _qr(code).make_image(image_factory=qrcode.image.svg.SvgPathImage).save(buffer)
    return buffer.getvalue()


def text_qr_svg(text: str) -> bytes:
    """Any short text as a QR code (a hold's WhatsApp click-to-chat link)."""
    buffer = io.BytesIO()
    _qr_of(text).make_image(image_factory=qrcode.image.svg.SvgPathImage).save(buffer)
    return buffer.getvalue()
