"""Small value parsers shared by the record parsers: timestamps, keys, numbers.

In: JSON values as Amazon Connect publishes them (ISO-8601 UTC with or without
milliseconds, mixed key casing). Out: aware UTC datetimes, ints, strings, or
:class:`InvalidRecord` naming the field and the problem.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

MIN_YEAR, MAX_YEAR = 1990, 2200  # Amazon Connect data lies well inside; anything else is corrupt
MAX_INT4 = 2**31 - 1  # durations and counts are stored as PostgreSQL integer
# Longest text Connect publishes in a field. Ids: "Maximum length of 256" (ContactId,
# DescribeContact, API reference); ARNs: "Maximum length of 500" (contactArn, Connect Cases
# Contact); anything else (names, states) is far below TEXT_MAX. Longer means corrupt, and a
# value this long cannot go into a PostgreSQL index (about 2,700 bytes), which would fail the
# whole batch: such a record is quarantined instead.
ID_MAX, ARN_MAX, TEXT_MAX = 256, 500, 1024


def length_limit(field: str) -> int:
    """The longest value Connect gives the field, by its name (``...ARN``, ``...Id``)."""
    last = field.rsplit(".", 1)[-1].split("[", 1)[0]
    if last.lower().endswith("arn"):
        return ARN_MAX
    if last.endswith(("Id", "ID")) or last == "id":
        return ID_MAX
    return TEXT_MAX


class InvalidRecord(ValueError):
    """A record that cannot be used; the message is the quarantine reason."""


def lower_keys(value: Any) -> Any:
    """Recursively lower-case dict keys (contact events come in camelCase and PascalCase)."""
    if isinstance(value, dict):
        return {str(k).lower(): lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [lower_keys(v) for v in value]
    return value


def timestamp(value: Any, field: str, *, required: bool = True) -> datetime | None:
    """Parse an ISO-8601 timestamp; naive values are taken as UTC."""
    if value is None or value == "":
        if required:
            raise InvalidRecord(f"{field} is missing")
        return None
    if not isinstance(value, str):
        raise InvalidRecord(f"{field} is not a timestamp string: {value!r}")
    try:
        if "T" not in value:  # a bare date is not an event time
            raise ValueError(value)
        parsed = datetime.fromisoformat(value)
        parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise InvalidRecord(f"{field} is not an ISO-8601 timestamp: {value!r}") from None
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise InvalidRecord(f"{field} is not a plausible time: {value!r}")
    return parsed


def text(value: Any, field: str, *, required: bool = True) -> str | None:
    """A non-empty string (or None when optional and absent)."""
    # What Connect sends: short ASCII, within every field's limit in characters and bytes
    # alike (the checks below, by field name, cost more than the rest of parsing a record).
    if (
        value.__class__ is str
        and 0 < len(value) <= ID_MAX
        and value.isascii()
        and "\x00" not in value
    ):
        return value
    if value is None or value == "":
        if required:
            raise InvalidRecord(f"{field} is missing")
        return None
    if not isinstance(value, str):
        raise InvalidRecord(f"{field} is not a string: {value!r}")
    limit = length_limit(field)
    # measured in UTF-8 bytes: PostgreSQL's index limit is in bytes, and Connect's ids and ARNs
    # are ASCII, so for them bytes are characters
    if len(value) > limit or len(value.encode("utf-8", "surrogatepass")) > limit:
        size = len(value.encode("utf-8", "surrogatepass"))
        raise InvalidRecord(
            f"{field} is {len(value):,} characters long ({size:,} bytes in UTF-8); Amazon "
            f"Connect's are at most {limit}"
        )
    if "\x00" in value:
        raise InvalidRecord(f"{field} contains a NUL character, which text cannot store")
    return value


def integer(value: Any, field: str) -> int | None:
    """A non-negative whole number of seconds/counts (integral floats accepted)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise InvalidRecord(f"{field} is not a number: {value!r}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise InvalidRecord(f"{field} is not a whole number: {value!r}")
    if not 0 <= value <= MAX_INT4:
        raise InvalidRecord(f"{field} is out of range (0..{MAX_INT4}): {value!r}")
    return value


def obj(value: Any, field: str, *, required: bool = True) -> dict[str, Any]:
    """A JSON object (an empty dict when optional and absent)."""
    if value is None:
        if required:
            raise InvalidRecord(f"{field} is missing")
        return {}
    if not isinstance(value, dict):
        raise InvalidRecord(f"{field} is not a JSON object")
    return value


MAX_DEPTH = 32  # Connect's records nest a few levels; deeper is corrupt (or an attack)


def too_deep(value: Any, limit: int = MAX_DEPTH) -> str | None:
    """The path where ``value`` nests deeper than ``limit``, or None (no recursion used)."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        node, path, depth = stack.pop()
        if depth > limit:
            return path or "(top)"
        if isinstance(node, dict):
            stack.extend((v, f"{path}.{k}" if path else str(k), depth + 1) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, f"{path}[{i}]", depth + 1) for i, v in enumerate(node))
    return None
