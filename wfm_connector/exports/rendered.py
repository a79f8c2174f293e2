"""What a format module hands to delivery: one day's file of one profile, ready to write.

In: nothing (a data holder). Out: :class:`Rendered`, the file's name (unique per profile and
day, so a re-export replaces it), its bytes and row count (with the header lines and delimiter
that let a reader count the rows again), the options that shaped it (for the
manifest), and what the format left out and why, as reason -> count.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any


@dataclass(frozen=True)
class Rendered:
    """One export file of one profile and day."""

    name: str
    data: bytes
    rows: int
    options: dict[str, Any] = field(default_factory=dict)
    left_out: dict[str, int] = field(default_factory=dict)
    header_lines: int = 0  # CSV records before the data rows
    delimiter: str = ","

    @cached_property
    def sha256(self) -> str:
        """Hex SHA-256 of the bytes."""
        return hashlib.sha256(self.data).hexdigest()
