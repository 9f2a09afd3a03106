"""Reading HTML form posts with Starlette's parser (python-multipart), within limits a form never needs.

The whole body is capped by the page routes (``MAX_BODY``, see ``web.page_router``); here the
parser is capped too: fields, files and the size of one field. Past a limit the answer is a 413
page saying which limit; a body that is no form, or a broken one, is refused with one sentence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from oto.errors import InvalidInput, OtoError

MAX_BODY = 16 << 20  # a catalog document is a few hundred KiB; nothing a form sends comes close
MAX_FIELD = 8 << 20  # one field: a pasted document on the import page
MAX_FIELDS = 2000  # a job's values, a routine's steps: a few hundred at most
MAX_FILES = 4  # the import page uploads one
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class FormTooLarge(OtoError):
    """A form past one of the limits above; nothing was read further nor written."""

    http_status = 413
    title = "Content too large"


class BadForm(OtoError):
    """A body that claims to be a form but cannot be parsed as one."""

    http_status = 400
    title = "Bad request"


@dataclass
class Form:
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)

    def get(self, name: str, default: str = "") -> str:
        values = self.fields.get(name)
        return values[0] if values else default

    def all(self, name: str) -> list[str]:
        return list(self.fields.get(name, []))

    def add(self, name: str, value: str) -> None:
        self.fields.setdefault(name, []).append(value)


async def read(request: Request) -> Form:
    """The posted form; FormTooLarge (413), BadForm (400) or InvalidInput (not a form) otherwise."""
    kind = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    try:
        if kind not in FORM_TYPES:
            if await request.body():
                raise InvalidInput(f"a form cannot be sent as {kind or 'nothing'}")
            return Form()
        form = Form()
        async with request.form(max_files=MAX_FILES, max_fields=MAX_FIELDS, max_part_size=MAX_FIELD) as data:
            for name, value in data.multi_items():
                if isinstance(value, UploadFile):
                    content = await value.read()
                    if content:  # a file input left empty still sends a part without content
                        form.files[name] = content
                else:
                    form.add(name, value)
        return form
    except MultiPartException as error:  # a request without an application (unit tests) gets it raw
        raise _refusal(400, error.message) from error
    except HTTPException as error:
        raise _refusal(error.status_code, str(error.detail)) from error


def _refusal(status: int, detail: str) -> OtoError:
    if status == 413:
        return FormTooLarge(f"the form is larger than {MAX_BODY >> 20} MiB")
    if "maximum size" in detail:
        return FormTooLarge(f"a field of the form is larger than {MAX_FIELD >> 20} MiB")
    if detail.startswith("Too many fields"):
        return FormTooLarge(f"the form has more than {MAX_FIELDS} fields")
    if detail.startswith("Too many files"):
        return FormTooLarge(f"the form has more than {MAX_FILES} files")
    return BadForm(f"the form cannot be read: {detail}")
