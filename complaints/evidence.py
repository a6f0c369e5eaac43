"""Evidence files from the public: checked by what they are, not what they claim.

Images are decoded with Pillow (a file that does not decode as the image it claims to
be is refused, as are decompression bombs) and re-encoded, which drops EXIF: location
and camera data could identify the reporter. PDFs are parsed with pikepdf (qpdf),
objects inside compressed object streams included, and rewritten without anything a
reader may run or open: JavaScript, actions, embedded files, forms, multimedia, and
the document's author metadata. A PDF that does not parse strictly (no repair of a
damaged file) is refused. Everything is stored under a random name, either under
PRIVATE_MEDIA_ROOT, outside the web root, readable by the service's user only (0600),
or in a private bucket of S3-compatible object storage (EVIDENCE_S3_BUCKET, for several
machines); it is streamed to staff by the download view only, under a name the server
derives from the checked type (`evidence-<id>.pdf`), never the reporter's.
"""

import hashlib
import io
import logging
import secrets
import warnings
from dataclasses import dataclass

import pikepdf
from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty
from django.utils.translation import gettext_lazy as _
from PIL import Image

from immigration.errors import DomainError

logger = logging.getLogger(__name__)

MAX_FILES = 5
MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 10 MB photo is at most ~ 24 MP; far more is a bomb

_IMAGE_TYPES = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png")}


class _PrivateStorage(LazyObject):
    """The object storage named `evidence` in STORAGES when a deployment configures one
    (EVIDENCE_S3_BUCKET: a private bucket), else the private folder."""

    def _setup(self):
        if "evidence" in settings.STORAGES:
            self._wrapped = storages.create_storage(settings.STORAGES["evidence"])
            return
        self._wrapped = FileSystemStorage(
            location=settings.PRIVATE_MEDIA_ROOT,
            base_url=None,
            file_permissions_mode=0o600,
            directory_permissions_mode=0o700,
        )


private_storage = _PrivateStorage()


@receiver(setting_changed)
def _follow_private_media_root(*, setting, **kwargs):
    """A changed PRIVATE_MEDIA_ROOT or STORAGES (tests override them) takes effect at
    once, as Django's own storages follow MEDIA_ROOT; otherwise the first one used would
    stick."""
    if setting in ("PRIVATE_MEDIA_ROOT", "STORAGES"):
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


# Keys under which a PDF carries something a reader may run, open or send: actions
# (/A, /AA, /OpenAction), scripts, embedded files, forms (with XFA), multimedia, and
# portfolios. The parser has decoded #xx escapes in names before we look.
_PDF_ACTIVE_KEYS = frozenset(
    {
        "/A",
        "/AA",
        "/OpenAction",
        "/JS",
        "/JavaScript",
        "/EmbeddedFiles",
        "/EmbeddedFile",
        "/EF",
        "/AcroForm",
        "/XFA",
        "/RichMedia",
        "/RichMediaContent",
        "/Collection",
        "/URI",
    }
)
# Annotations that are active content in themselves, removed whole; others (notes,
# highlights, links within the document) stay, stripped of their actions.
_PDF_ACTIVE_ANNOTATIONS = frozenset(
    {"/Widget", "/FileAttachment", "/Screen", "/Movie", "/Sound", "/RichMedia", "/3D"}
)
MAX_PDF_PAGES = 500


def _children(obj) -> list:
    """The direct containers inside `obj` (scalars come back as Python values)."""
    if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
        values = [obj[key] for key in obj.keys()]  # noqa: SIM118 (a Stream iterates no keys)
    elif isinstance(obj, pikepdf.Array):
        values = list(obj)
    else:
        return []
    return [
        value
        for value in values
        if isinstance(value, (pikepdf.Dictionary, pikepdf.Array)) and not value.is_indirect
    ]


def _strip(obj) -> int:
    """Remove the active keys from `obj` and the direct objects inside it (indirect
    ones are visited on their own); returns how many were found."""
    found = 0
    pending = [obj]
    while pending:
        current = pending.pop()
        if isinstance(current, (pikepdf.Dictionary, pikepdf.Stream)):
            for key in list(current.keys()):
                if key in _PDF_ACTIVE_KEYS:
                    del current[key]
                    found += 1
            if "/Annots" in current and isinstance(current["/Annots"], pikepdf.Array):
                kept = [
                    annot
                    for annot in current["/Annots"]
                    if not (
                        isinstance(annot, pikepdf.Dictionary)
                        and annot.get("/Subtype") in _PDF_ACTIVE_ANNOTATIONS
                    )
                ]
                found += len(current["/Annots"]) - len(kept)
                current["/Annots"] = pikepdf.Array(kept)
        pending.extend(_children(current))
    return found


def _active_parts(pdf: pikepdf.Pdf) -> int:
    return sum(_strip(obj) for obj in list(pdf.objects)) + _strip(pdf.trailer)


def _pdf_refused(name: str) -> DomainError:
    return _refuse(
        name, _("This PDF cannot be accepted (damaged, or it contains scripts or attachments).")
    )


def _clean_pdf(name: str, data: bytes) -> CleanFile:
    """Parse strictly, strip active content and metadata, write a fresh file; check
    the fresh file again, so a part the stripping missed refuses the file instead
    of reaching a reader."""
    _check_name(name, "PDF")
    try:
        with pikepdf.open(io.BytesIO(data), attempt_recovery=False) as pdf:
            if not 1 <= len(pdf.pages) <= MAX_PDF_PAGES:
                raise _pdf_refused(name)
            if "/Info" in pdf.trailer:
                del pdf.trailer["/Info"]  # author, creator: could name the reporter
            if "/Metadata" in pdf.Root:
                del pdf.Root["/Metadata"]
            _active_parts(pdf)
            out = io.BytesIO()
            pdf.save(out, deterministic_id=True)
        with pikepdf.open(io.BytesIO(out.getvalue()), attempt_recovery=False) as check:
            if _active_parts(check):
                raise _pdf_refused(name)
    except DomainError:
        raise
    except Exception:  # pikepdf.PdfError, a password, a malformed structure
        raise _pdf_refused(name) from None
    return CleanFile(out.getvalue(), "application/pdf", "pdf", name)


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


_EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


def download_name(*, evidence_id: int, content_type: str) -> str:
    """`evidence-<id>.<ext>` from the type the file was checked as: a reporter's file
    name (`invoice.pdf.exe`, `../x`, markup) never reaches a staff member's disk."""
    return f"evidence-{evidence_id}.{_EXTENSIONS.get(content_type, 'bin')}"


class StorageUnavailableError(DomainError):
    """The evidence storage (the folder, or the object storage server) could not take
    the file: a moment's trouble, not the reporter's. Nothing was kept."""

    http_status = 503


def storage_unavailable() -> StorageUnavailableError:
    return StorageUnavailableError(
        code="evidence_storage_unavailable",
        message=_("Files cannot be stored at the moment. Please try again in a few minutes."),
    )


def _storage_failures() -> tuple[type[BaseException], ...]:
    """What a storage raises when it cannot do its work: the disk (OSError), or the S3
    server unreachable, hung or refusing (botocore's errors, when it is installed)."""
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # pragma: no cover (a requirement; only the folder without it)
        return (OSError,)
    return (OSError, BotoCoreError, ClientError)


def store(clean: CleanFile) -> str:
    """Save under a random name in private storage; returns the storage name. A storage
    that fails raises StorageUnavailableError (503, try again), never a 500."""
    try:
        return private_storage.save(
            f"evidence/{secrets.token_hex(16)}.{clean.extension}", io.BytesIO(clean.content)
        )
    except _storage_failures() as exc:
        logger.warning("evidence storage unavailable: %s", type(exc).__name__)
        raise storage_unavailable() from None


def discard(name: str) -> None:
    """Remove a stored file that will not be kept (its report failed). Best effort: with
    the storage down the orphan stays, named at random and referenced by no row."""
    try:
        private_storage.delete(name)
    except _storage_failures() as exc:
        logger.warning("evidence orphan not removed: %s", type(exc).__name__)
