"""What the fault-injection suite tried and found, shared by its tests and its conftest."""

SUMMARY: dict[str, int] = {"faults tried": 0, "records in": 0, "records lost": 0,
                           "records duplicated": 0}  # fmt: skip
