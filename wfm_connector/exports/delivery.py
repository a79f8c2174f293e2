"""Delivering one profile's files to each of its targets, retrying what may pass next time.

In: the targets, the files in delivery order (data file, then manifest) and the retry
settings (``export_delivery``: attempts, first back-off, cap). Out: one :class:`Delivery`
per target: delivered or failed, how many attempts, where the files went, and the last error.

A failure at one target never stops the others. A transient error (network, timeout, a
server restarting, throttling) is tried again after a back-off that doubles each time, up to
the cap; :class:`~wfm_connector.exports.targets.DeliveryRefused` (wrong host key, refused
credentials, access denied) is not retried, since only a change of configuration fixes it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from wfm_connector.config import ExportDelivery
from wfm_connector.exports.targets import DeliveryRefused, Files, Target

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    """The outcome of delivering a profile's files to one target."""

    target: str
    ok: bool
    attempts: int
    locations: list[str] = field(default_factory=list)
    error: str | None = None


def deliver_one(
    target: Target,
    profile: str,
    files: Files,
    settings: ExportDelivery,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    """Deliver to ``target``, retrying transient errors with back-off."""
    wait = settings.backoff_seconds
    for attempt in range(1, settings.attempts + 1):
        try:
            return Delivery(target.name, True, attempt, target.put(profile, files))
        except DeliveryRefused as exc:
            log.error("delivery of %s to %s refused: %s", profile, target.name, exc)
            return Delivery(target.name, False, attempt, error=str(exc))
        except Exception as exc:  # noqa: BLE001 - any other fault may pass on a retry
            error = f"target {target.name}: {type(exc).__name__}: {exc}"
            if attempt == settings.attempts:
                log.error("delivery of %s failed after %d attempts: %s", profile, attempt, error)
                return Delivery(target.name, False, attempt, error=error)
            log.warning("delivery of %s, attempt %d: %s; retrying in %.0f s",
                        profile, attempt, error, wait)  # fmt: skip
            sleep(wait)
            wait = min(wait * 2, settings.max_backoff_seconds)
    raise AssertionError("unreachable")  # attempts >= 1


def deliver(
    targets: Sequence[Target],
    profile: str,
    files: Files,
    settings: ExportDelivery,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Delivery]:
    """Deliver to every target, each independently of the others' failures."""
    return [deliver_one(t, profile, files, settings, sleep) for t in targets]
