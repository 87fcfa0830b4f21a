"""Claim checks for the chapters' hidden cells: a failing check names the claim and the values."""

from __future__ import annotations

from typing import Any


class ClaimError(AssertionError):
    """A claim that the prose makes does not hold for the data."""


def check(condition: Any, claim: str, **values: Any) -> None:
    """Raise ClaimError naming `claim` and `values` unless `condition` is true."""
    if bool(condition):
        return
    shown = ", ".join(f"{name} = {value!r}" for name, value in values.items())
    raise ClaimError(f"the claim {claim!r} does not hold for the data" + (f": {shown}" if shown else ""))
