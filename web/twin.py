"""The JSON twin of a page model: the same typed value the page renders, as plain JSON values.

A page model is a frozen dataclass of `gate.read`; its field names are the JSON keys, so the
page, its twin and the CLI's `--format json` show the same facts under the same names.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any


def to_json(value: Any) -> Any:
    """Turn a page model (dataclasses, enums, moments, mappings, sequences) into JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {key: to_json(getattr(value, name)) for name, key in _keys(type(value))}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(v) for v in value]
    return value


@functools.cache
def _keys(model: type) -> tuple[tuple[str, str], ...]:
    """A dataclass's (field, JSON key) pairs, worked out once per class: a trailing underscore
    lets a field carry a keyword's name (`from_` is `from`)."""
    return tuple((f.name, f.name.removesuffix("_")) for f in dataclasses.fields(model))
