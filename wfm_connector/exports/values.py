"""Turning exported values into delimited text that every reader takes the same way.

In: rows of values (text from Amazon Connect such as queue and agent names, and numbers) and
a delimiter. Out: one line per row, fields quoted per RFC 4180 only where needed (a field
holding the delimiter, a double quote, CR or LF is enclosed in double quotes and its quotes are
doubled), lines ended by LF.

Text is made safe first, whoever typed it:

- control characters (C0 and C1, so also U+0085 NEL) and the Unicode line and paragraph
  separators U+2028/U+2029, which some readers take for line ends, become a space;
- a text field that, after that, starts with ``=``, ``+``, ``-`` or ``@`` (leading spaces
  included), or that started with a tab or CR, gets a leading apostrophe, so a spreadsheet
  shows it instead of running it as a formula (OWASP "CSV injection"). A profile can switch
  this off for an importer that needs the raw name; numbers are never touched, so a negative
  number stays a number.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal

UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
FORMULA_START = re.compile(r"^\s*[=+\-@]")


def clean_text(value: str, neutralise: bool = True) -> str:
    """``value`` with control characters and line separators as spaces, formulas disarmed."""
    text = UNSAFE.sub(" ", value)
    if neutralise and (value[:1] in ("\t", "\r") or FORMULA_START.match(text)):
        return "'" + text
    return text


def field(value: object, neutralise: bool = True) -> str:
    """One value as text: None is empty, text is cleaned, numbers as they are."""
    if value is None:
        return ""
    if isinstance(value, str):
        return clean_text(value, neutralise)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def delimited(
    rows: Iterable[Sequence[object]],
    delimiter: str,
    header: Sequence[str] | None = None,
    neutralise: bool = True,
) -> tuple[str, int]:
    """The rows (after an optional header line) as delimited text, and how many rows."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    if header is not None:
        writer.writerow([clean_text(h, neutralise=False) for h in header])
    count = 0
    for row in rows:
        writer.writerow([field(v, neutralise) for v in row])
        count += 1
    return out.getvalue(), count
