"""Claim checks for the chapters' hidden cells: a failing check names the claim and the values it compared."""

from __future__ import annotations

import ast
import inspect
from types import FrameType
from typing import Any


class ClaimError(AssertionError):
    """A claim that the prose makes does not hold for the data."""


def check(condition: Any, claim: str = "", **values: Any) -> None:
    """Raise ClaimError unless `condition` is true, naming the claim (its code, and `claim` if given) and the
    values compared (`values`, and every operand of the condition's comparisons)."""
    if bool(condition):
        return
    frame = inspect.currentframe()
    code, operands = _condition_source(frame.f_back) if frame and frame.f_back else ("", {})
    named = f"{claim!r} ({code})" if claim and code else repr(claim or code)
    shown = ", ".join(f"{name} = {_plain(value)!r}" for name, value in {**operands, **values}.items())
    raise ClaimError(f"the claim {named} does not hold for the data" + (f": {shown}" if shown else ""))


def same_stage(*facts: Any, same_time: bool = True) -> None:
    """Raise ClaimError unless the facts, shown together, come from one stage of a count (the same variant, and
    the same report time unless `same_time` is False, as for map panels of different votes); the message names
    each fact's table, row and stage."""
    def stage(fact: Any) -> tuple[str | None, str | None]:
        return fact.stage, (fact.as_of if same_time else None)

    if facts and all(f.stage is not None for f in facts) and len({stage(f) for f in facts}) == 1:
        return
    described = "; ".join(
        f"{f.name} = {f.text} ({f.resource} row {f.row}: "
        f"{'stage ' + repr(f.stage) if f.stage else 'no stage of the count given'}"
        f"{', as of ' + repr(f.as_of) if f.as_of else ''})" for f in facts)
    raise ClaimError(f"numbers shown together must come from one stage of one count: {described}")


def _plain(value: Any) -> Any:
    """Numpy and pandas values as plain Python (a Series as a list), so that they print on one line."""
    return value.tolist() if hasattr(value, "tolist") else value


def _condition_source(frame: FrameType) -> tuple[str, dict[str, Any]]:
    """The source of the caller's condition and the value of each operand it compares (empty if unknown)."""
    import executing

    call = executing.Source.executing(frame).node
    if not isinstance(call, ast.Call) or not call.args:
        return "", {}
    condition = call.args[0]
    operands: dict[str, Any] = {}
    for node in ast.walk(condition):
        if isinstance(node, ast.Compare):
            for operand in (node.left, *node.comparators):
                if not isinstance(operand, ast.Constant):
                    operands[ast.unparse(operand)] = _evaluate(operand, frame)
    return ast.unparse(condition), operands


def _evaluate(node: ast.expr, frame: FrameType) -> Any:
    """An operand's value in the caller's frame, or a note if it cannot be computed again."""
    try:
        return eval(compile(ast.Expression(node), "<claim>", "eval"), frame.f_globals, frame.f_locals)
    except Exception as exc:  # the operand itself fails: say so instead of hiding the claim
        return f"<{type(exc).__name__}: {exc}>"
