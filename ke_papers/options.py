"""How the CLI turns option and argument strings into values, without pydantic.

Typer 0.29 coerces every value through a pydantic TypeAdapter: importing pydantic and
building the adapters took 0.12 s of a 0.24 s `search`, on every command. The options
here are plain (str, bool, int with bounds, Path, and lists of them), so `install` puts
in typer's place a coercion of its own for those annotations, with typer's checks and
messages; any other annotation, or a parameter with a parser of its own, still goes to
typer's own (pydantic) way. One difference is kept on purpose: pydantic reads "0-9" as
-9; here it is not an integer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args, get_origin

#: How a CLI string reads as a bool (pydantic's words, any letter case).
_BOOLS = {
    **dict.fromkeys(("1", "on", "t", "true", "y", "yes"), True),
    **dict.fromkeys(("0", "off", "f", "false", "n", "no"), False),
}

#: An integer as pydantic reads one from a string: ASCII digits, a sign, underscores
#: between digits, a fraction of zeros, space around (not the four separators \x1c-\x1f,
#: which Python counts as space and pydantic does not).
_INT = re.compile(r"[^\S\x1c-\x1f]*([+-]?)([0-9]+(?:_[0-9]+)*)(?:\.0+)?[^\S\x1c-\x1f]*")
#: Digits beyond which pydantic reads no integer (Python's own limit is 4,300).
_MOST_DIGITS = 4300


def install() -> None:
    """Coerce plain values here: typer asks `typer.core.build_runtime_param` for each
    parameter's coercion the first time it reads the parameter. Should a later typer
    lack any piece this relies on, typer's own coercion stays."""
    try:
        from typer import core
        from typer._coercion import RuntimeParam
        from typer._param_types import coerce_cli_path

        typers = core.build_runtime_param
    except (ImportError, AttributeError):
        return
    if getattr(typers, "plain", False):
        return

    def build(descriptor: Any) -> Any:
        leaf = _leaf(descriptor.annotation)
        info = getattr(descriptor, "parameter_info", None)
        own = getattr(info, "parser", True) is not None
        if leaf is None or own or getattr(descriptor, "file_annotation", True) is not None:
            return typers(descriptor)  # a parser of the app's own, a file, or another type
        try:
            return _runtime_param(
                RuntimeParam, descriptor, _coercion(leaf, descriptor, coerce_cli_path)
            )
        except Exception:  # a typer whose pieces changed shape: its own way
            return typers(descriptor)

    build.plain = True  # type: ignore[attr-defined]
    core.build_runtime_param = build


def _leaf(annotation: Any) -> type | None:
    """The plain type of an annotation (of its items, for a list), or None."""
    if get_origin(annotation) is list:
        (annotation,) = get_args(annotation) or (None,)
    return annotation if annotation in (str, bool, int, Path) else None


def _runtime_param(base: type, descriptor: Any, one: Callable[[Any, Any, Any], Any]) -> Any:
    """typer's RuntimeParam (`base`) for one parameter, coercing each value with `one`."""

    class Plain(base):  # type: ignore[misc, valid-type]
        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            from typer import BadParameter

            try:
                if isinstance(value, (list, tuple)):
                    return [one(item, param, ctx) for item in value]
                return one(value, param, ctx)
            except ValueError as exc:
                raise BadParameter(str(exc), ctx=ctx, param=param) from None

    return Plain(parameter_info=descriptor.parameter_info, annotation=descriptor.annotation)


def _coercion(
    leaf: type, descriptor: Any, path: Callable[..., Any]
) -> Callable[[Any, Any, Any], Any]:
    """One value's coercion, as typer's adapters do it; ValueError says what is wrong."""
    info = descriptor.parameter_info

    def as_str(value: Any, param: Any, ctx: Any) -> str:
        if isinstance(value, bytes):
            return value.decode("utf-8", "replace")
        return str(value)

    def as_bool(value: Any, param: Any, ctx: Any) -> bool:
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word not in _BOOLS and word:
            raise ValueError("Input should be a valid boolean, unable to interpret input")
        return _BOOLS.get(word, False)

    def as_int(value: Any, param: Any, ctx: Any) -> int:
        if isinstance(value, int):
            number = value
        elif found := _INT.fullmatch(str(value)):
            digits = found[2].replace("_", "").lstrip("0") or "0"
            if len(digits) > _MOST_DIGITS:
                raise ValueError(
                    "Unable to parse input string as an integer, exceeded maximum size"
                )
            number = int(found[1] + digits)
        else:
            raise ValueError(
                "Input should be a valid integer, unable to parse string as an integer"
            )
        low, high = info.min, info.max
        if info.clamp and low is not None and number < low:
            return int(low)
        if info.clamp and high is not None and number > high:
            return int(high)
        if low is not None and number < low:
            raise ValueError(f"Input should be greater than or equal to {low}")
        if high is not None and number > high:
            raise ValueError(f"Input should be less than or equal to {high}")
        return number

    def as_path(value: Any, param: Any, ctx: Any) -> Any:
        kind = info.path_type or Path
        # Checked as typed (a message names the path as the user wrote it), then made a Path.
        checked = path(value, info, path_type=str, param=param, ctx=ctx)
        return checked if kind in (str, bytes) or isinstance(checked, Path) else Path(checked)

    coercions: dict[type, Callable[[Any, Any, Any], Any]] = {
        str: as_str,
        bool: as_bool,
        int: as_int,
        Path: as_path,
    }
    return coercions[leaf]
