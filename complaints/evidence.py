"""Evidence files from the public: checked by what they are, not what they claim.

Images are decoded with Pillow (a file that does not decode as the image it claims to
be is refused, as are decompression bombs) and re-encoded, which drops EXIF: location
and camera data could identify the reporter. PDFs are accepted only if they look like
PDFs and carry no JavaScript or embedded files. Everything is stored under
PRIVATE_MEDIA_ROOT, outside the web root, under a random name.
"""

import hashlib
import io
import re
import secrets
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty
from django.utils.translation import gettext_lazy as _
from PIL import Image

from immigration.errors import DomainError

MAX_FILES = 5
MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 10 MB photo is at most ~ 24 MP; far more is a bomb

_IMAGE_TYPES = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png")}


class _PrivateStorage(LazyObject):
    def _setup(self):
        self._wrapped = FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)


private_storage = _PrivateStorage()


@receiver(setting_changed)
def _follow_private_media_root(*, setting, **kwargs):
    """A changed PRIVATE_MEDIA_ROOT (tests change it) takes effect, as MEDIA_ROOT does
    for Django's own storage; otherwise files go wherever the first use pointed."""
    if setting == "PRIVATE_MEDIA_ROOT":
        private_storage._wrapped = empty


@dataclass(frozen=True)
class CleanFile:
    content: bytes
    content_type: str
    extension: str
    original_name: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def _refuse(name: str, message) -> DomainError:
    return DomainError(
        code="invalid_evidence", message=message, fields={"evidence": [f"{name}: {message}"]}
    )


def clean_upload(name: str, data: bytes, declared_type: str = "") -> CleanFile:
    """Return the file as it will be stored, or raise DomainError saying why not."""
    safe_name = (
        "".join(ch for ch in (name or "file")[-80:] if ch.isalnum() or ch in "._- ") or "file"
    )
    if len(data) > MAX_BYTES:
        raise _refuse(safe_name, _("A file may be at most 10 MB."))
    if not data:
        raise _refuse(safe_name, _("The file is empty."))
    if data.startswith(b"%PDF-"):
        return _clean_pdf(safe_name, data)
    return _clean_image(safe_name, data, declared_type)


_NAME_KINDS = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "pdf": "PDF"}


def _check_name(name: str, kind: str) -> None:
    """A PNG named .jpg (or a PDF named .png) is not what it claims: refuse it."""
    extension = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if extension in _NAME_KINDS and _NAME_KINDS[extension] != kind:
        raise _refuse(name, _("The file is not what its name says."))


# Active content a PDF reader may run or open. Names can hide behind #xx escapes, so
# those are decoded before looking; compressed object streams are not inspected.
_PDF_ACTIVE = (
    b"/JavaScript",
    b"/JS",
    b"/EmbeddedFile",
    b"/Launch",
    b"/OpenAction",
    b"/AA",
    b"/XFA",
    b"/RichMedia",
    b"/SubmitForm",
    b"/ImportData",
    b"/GoToR",
    b"/URI",
)


def _clean_pdf(name: str, data: bytes) -> CleanFile:
    _check_name(name, "PDF")
    decoded = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), data)
    if b"%%EOF" not in data[-2048:] or any(marker in decoded for marker in _PDF_ACTIVE):
        raise _refuse(
            name, _("This PDF cannot be accepted (damaged, or it contains scripts or attachments).")
        )
    return CleanFile(data, "application/pdf", "pdf", name)


def _clean_image(name: str, data: bytes, declared_type: str) -> CleanFile:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                kind = probe.format
                if kind not in _IMAGE_TYPES:
                    raise _refuse(name, _("Only JPEG, PNG and PDF files are accepted."))
                if probe.width * probe.height > MAX_PIXELS:
                    raise _refuse(name, _("The image is too large."))
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                content_type, extension = _IMAGE_TYPES[kind]
                if declared_type and declared_type not in (
                    content_type,
                    "application/octet-stream",
                ):
                    raise _refuse(name, _("The file is not what its type says."))
                _check_name(name, kind)
                clean = _reencode(image, kind)
        except DomainError:
            raise
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise _refuse(name, _("The image is too large.")) from None
        except Exception:  # anything Pillow cannot decode is not an image we accept
            raise _refuse(name, _("Only JPEG, PNG and PDF files are accepted.")) from None
    return CleanFile(clean, content_type, extension, name)


def _reencode(image: Image.Image, kind: str) -> bytes:
    """A fresh file with the pixels only: no EXIF, no GPS, no comments."""
    out = io.BytesIO()
    if kind == "JPEG":
        image.convert("RGB").save(out, format="JPEG", quality=90)
    else:
        mode = image.mode if image.mode in ("1", "L", "LA", "P", "RGB", "RGBA") else "RGBA"
        image.convert(mode).save(out, format="PNG", optimize=True)
    return out.getvalue()


def store(clean: CleanFile) -> str:
    """Save under a random name in private storage; returns the storage name."""
    return private_storage.save(
        f"evidence/{secrets.token_hex(16)}.{clean.extension}", io.BytesIO(clean.content)
    )
