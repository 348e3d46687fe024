"""A request body's fields read the way DRF's serializer fields read them, every problem
collected so that one 400 names them all, with DRF's own messages.

Amounts are decimal strings: a JSON number is refused because a float cannot carry cents
exactly. Whether an amount has too many decimals or is negative is the core's to judge (its
error names the field too); here it only has to be a number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from tallybook.surfaces.drf.errors import NOT_FOUND, DrfError, InvalidInput

REQUIRED = "This field is required."
NOT_NULL = "This field may not be null."
NOT_BLANK = "This field may not be blank."
_DECIMAL_TEXT = re.compile(r"-?[0-9]{1,18}(\.[0-9]{1,18})?")
_WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")


class Form:
    """The fields of one body. Each reader returns the value, or None when the field is
    absent (or invalid: then `check` raises with every message)."""

    def __init__(self, data: Mapping[str, Any], *, partial: bool = False) -> None:
        self.data = data
        self.partial = partial
        self.messages: dict[str, list[str]] = {}

    def _present(self, name: str, required: bool) -> bool:
        if name in self.data:
            if self.data[name] is None:
                self.messages[name] = [NOT_NULL]
                return False
            return True
        if required and not self.partial:
            self.messages[name] = [REQUIRED]
        return False

    def text(
        self, name: str, longest: int, *, required: bool = False, allow_blank: bool = False
    ) -> str | None:
        if not self._present(name, required):
            return None
        value = self.data[name]
        if not isinstance(value, str):
            self.messages[name] = ["Not a valid string."]
        elif not value.strip() and not allow_blank:
            self.messages[name] = [NOT_BLANK]
        elif len(value) > longest:
            self.messages[name] = [f"Ensure this field has no more than {longest} characters."]
        else:
            return value
        return None

    def amount(self, name: str, *, required: bool = False) -> Decimal | None:
        if not self._present(name, required):
            return None
        value = self.data[name]
        if not isinstance(value, str):
            self.messages[name] = ['Send the amount as a string, like "12.50": numbers lose cents.']
        elif not _DECIMAL_TEXT.fullmatch(value.strip()):
            self.messages[name] = ["A valid number is required."]
        else:
            return Decimal(value.strip())
        return None

    def whole_number(self, name: str, *, required: bool = False) -> int | None:
        """An integer, as a JSON integer or a string of digits (a form sends text)."""
        if not self._present(name, required):
            return None
        value = self.data[name]
        if isinstance(value, bool) or not isinstance(value, int | str):
            self.messages[name] = ["A valid integer is required."]
        elif isinstance(value, int):
            return value
        elif not _WHOLE_NUMBER.fullmatch(value.strip()):
            self.messages[name] = ["A valid integer is required."]
        else:
            return int(value.strip())
        return None

    def check(self) -> None:
        """Raise DRF's 400 naming every field that was wrong."""
        if self.messages:
            raise InvalidInput(self.messages)


def pk_number(pk: str) -> int:
    """The integer a `{pk}` path segment holds; DRF's 404 for anything else."""
    if not _WHOLE_NUMBER.fullmatch(pk):
        raise DrfError(404, NOT_FOUND)
    return int(pk)
