"""The QR codes we draw decode to what they carry, read by a real decoder (ZXing, the
library behind most phone and door scanners), including after the blur and shrink of
a photographed phone screen. The mask is fixed (bookings/qr.py), so this is what
proves a fixed mask costs the scanner nothing."""

import io
import secrets

import pytest
import zxingcpp
from PIL import Image, ImageFilter

from bookings.codes import display, new_code
from bookings.qr import CODE_VERSION, FIXED_MASK, _qr, _qr_of, qr_png, text_qr_svg


def _decode(image: Image.Image) -> str:
    results = zxingcpp.read_barcodes(image)
    assert len(results) == 1, "exactly one QR code found"
    return results[0].text


@pytest.mark.parametrize("seed", range(8))
def test_booking_codes_decode_from_the_png_and_from_a_blurred_small_photo_of_it(seed):
    for _ in range(25):
        code = new_code()
        image = Image.open(io.BytesIO(qr_png(code))).convert("L")
        assert _decode(image) == display(code)
        # About three pixels a module, slightly out of focus: a phone held up to a camera.
        photo = image.resize((image.width * 3 // 8, image.height * 3 // 8), Image.BILINEAR)
        assert _decode(photo.filter(ImageFilter.GaussianBlur(0.8))) == display(code)


@pytest.mark.parametrize("seed", range(4))
def test_the_png_has_the_pixels_qrcodes_own_image_of_the_same_code_has(seed):
    """qr_png writes the PNG itself (a quarter of the CPU of qrcode's PIL image): same
    size, same pixels, the module grid and quiet zone included."""
    for _ in range(10):
        code = new_code()
        ours = Image.open(io.BytesIO(qr_png(code))).convert("L")
        buffer = io.BytesIO()
        _qr(code).make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
        theirs = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
        assert ours.size == theirs.size == (29 * 8, 29 * 8)  # version 1: 21 + 2 x 4 modules
        assert ours.tobytes() == theirs.tobytes()


def test_every_booking_code_fits_the_fixed_version():
    """The version is fixed for codes (no search): the longest and the densest code
    still fit it; a text that cannot fit is refused, never drawn cut short."""
    import qrcode.exceptions

    for code in ("ZZZZZZZZ", "22222222", "9A9A9A9A", new_code()):
        assert _qr(code).version == CODE_VERSION
    with pytest.raises(qrcode.exceptions.DataOverflowError):
        _qr_of("X" * 21, version=CODE_VERSION)


def test_the_drawing_skips_the_mask_choice():
    """The codes above were drawn with the fixed mask, not a chosen one."""
    assert _qr_of(display(new_code())).mask_pattern == FIXED_MASK


def test_a_long_click_to_chat_link_also_decodes():
    link = f"https://wa.me/6281100000001?text=YA%20{display(new_code())}&x={secrets.token_hex(8)}"
    svg = text_qr_svg(link)
    assert b"<svg" in svg
    assert b"path" in svg
    # The same drawing as a PNG (the SVG path and the PNG share the module matrix).
    matrix = _qr_of(link).get_matrix()
    size = len(matrix)
    image = Image.new("L", (size * 4, size * 4), 255)
    pixels = image.load()
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                for dy in range(4):
                    for dx in range(4):
                        pixels[x * 4 + dx, y * 4 + dy] = 0
    assert _decode(image) == link
