"""Secret values at rest: rotating the key that seals them, and what the key opens.

A rotation is all or nothing for the database (one transaction) and never loses a secret if it is
interrupted: the new key is added to the key file before anything is sealed with it, and the old
one is removed only after every secret was sealed again. At every moment each stored secret opens
with one of the keys the file holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography.fernet import Fernet

from oto.errors import Refused
from oto.services import secrets
from oto.settings import get_settings

if TYPE_CHECKING:
    from oto.app.application import App


@dataclass(frozen=True)
class Rotation:
    """What a rotation did: how many stored secrets it sealed again, and where the key now is."""

    resealed: int
    key: str
    from_environment: bool

    def to_dict(self) -> dict[str, object]:
        return {"resealed": self.resealed, "key": self.key, "from_environment": self.from_environment}


class Secrets:
    def __init__(self, app: App) -> None:
        self.database = app.database

    def rotate_key(self) -> Rotation:
        """Seal every stored secret with a new key and drop the old one.

        With OTO_SECRET_KEY, OTO cannot change the key: it seals every secret with the first key
        listed (put the new one first, rotate, then remove the old ones from the variable).
        """
        old = secrets.keys()
        if get_settings().secret_key is not None:
            resealed = self._reseal(old, old[:1])
            return Rotation(resealed, "OTO_SECRET_KEY", True)
        new = Fernet.generate_key()
        secrets.write_key_file([new, *old])  # both: whatever happens next, every secret opens
        resealed = self._reseal([new, *old], [new])
        secrets.write_key_file([new])
        return Rotation(resealed, str(secrets.key_file()), False)

    def _reseal(self, old: list[bytes], new: list[bytes]) -> int:
        try:
            return self.database.call(secrets.reseal_all, old, new)
        except secrets.SecretError as error:
            raise Refused(f"nothing was sealed again: {error}") from None
