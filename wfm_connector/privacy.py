"""Personal data in what Amazon Connect publishes, removed before anything is stored.

In: one parsed record (a dict) of a stream and the ``privacy`` settings. Out: the record as it
will be stored (raw tables' ``payload``, and the quarantine's ``raw`` when the bytes were JSON),
with personal fields removed, or None when it holds none (the bytes are then kept exactly as
delivered).

What is personal, and what happens to it by default:

- the customer's phone number or email (``CustomerEndpoint.Address``) and the number a call
  was transferred to (``TransferredToEndpoint.Address``): dropped (``customer_endpoints:
  drop``), or replaced by ``hmac-sha256:<hex>`` keyed with a secret from the environment
  (``hash``), which lets one customer's contacts be found and erased without storing the
  number; ``keep`` stores them;
- contact attributes (``Attributes``, set by contact flows: names, account numbers…): only
  the names listed in ``keep_attributes`` are kept;
- text people typed or said about a contact (``ContactDetails``, ``References``) and voice
  biometrics (``VoiceIdResult``): dropped;
- agents' first and last names in agent events (``FirstName``, ``LastName``): dropped unless
  ``keep_agent_names``; the username stays (schedules name agents by it).

A record that could not be read as JSON (cut, corrupt, too big, too deep) cannot be edited
field by field; what the quarantine keeps of it goes through :meth:`Minimiser.redact`, which
blanks by pattern phone numbers (written ``+…``, or a quoted string of 7 to 15 digits and
separators), email addresses, attribute maps and agents' names (a GZIP
object is first decompressed as far as it goes).

Keys are matched without regard to case (contact events use camelCase) at the places Connect
puts them: the top of a contact record, an agent event's snapshots, a contact event's
``detail``. Nothing the reconciliation reads is touched.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import zlib
from typing import Any

from wfm_connector.config import PrivacyOptions
from wfm_connector.sources.base import Stream

ENDPOINTS = {"customerendpoint", "transferredtoendpoint"}
FREE_TEXT = {"contactdetails", "references", "voiceidresult"}
AGENT_NAMES = {"firstname", "lastname"}


# bounded repeats and a left boundary: linear on megabytes of letters or digits
_PHONE = re.compile(rb"\+\d[\d \-().]{5,20}\d")  # E.164, as Connect writes numbers
# a JSON string holding nothing but a number as people write it ("555-123-4567",
# "tel:(555) 123 4567"); blanked when it has 7 to 15 digits and is not a date
_QUOTED_NUMBER = re.compile(rb'"(?:tel:)?\(?\d[\d \-().]{4,24}\d"')
_DATE = re.compile(rb'"\d{4}-\d{2}-\d{2}"')
_EMAIL = re.compile(rb"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}\.[\w.-]{1,190}")
_ATTRIBUTES = re.compile(rb'("(?i:attributes)"\s*:\s*)\{[^{}]*(\}|$)')
_NAMES = re.compile(rb'("(?i:firstname|lastname)"\s*:\s*)"(?:[^"\\]|\\.)*("|$)')


def _blank_number(match: re.Match[bytes]) -> bytes:
    text = match.group()
    digits = sum(c in b"0123456789" for c in text)
    return b'"[number]"' if 7 <= digits <= 15 and not _DATE.fullmatch(text) else text


class PrivacyKeyMissing(RuntimeError):
    """``customer_endpoints: hash`` without its key in the environment."""


class Minimiser:
    """Removes personal fields from records of any stream (see the module docstring)."""

    def __init__(self, options: PrivacyOptions | None = None, environ: dict | None = None):
        self.options = options or PrivacyOptions()
        self.keep_attributes = set(self.options.keep_attributes)
        self._key: bytes | None = None
        if self.options.customer_endpoints == "hash":
            env = os.environ if environ is None else environ
            secret = env.get(self.options.hmac_key_env, "")
            if len(secret) < 16:
                raise PrivacyKeyMissing(
                    f"privacy.customer_endpoints is hash: set {self.options.hmac_key_env} to a "
                    "secret of at least 16 characters (the same one for the life of the data)"
                )
            self._key = secret.encode()

    def redact(self, raw: bytes, limit: int = 1 << 20) -> bytes:
        """Bytes that are not a readable record, with personal data blanked by pattern."""
        if raw[:2] == b"\x1f\x8b":  # compressed: what can be decompressed of it
            try:
                raw = zlib.decompressobj(wbits=31).decompress(raw, limit)
            except zlib.error:
                raw = b""
        if self.options.customer_endpoints != "keep":
            raw = _EMAIL.sub(b"[email]", _PHONE.sub(b"[number]", raw))
            raw = _QUOTED_NUMBER.sub(_blank_number, raw)
        raw = _ATTRIBUTES.sub(rb"\1{}", raw)
        if not self.options.keep_agent_names:
            raw = _NAMES.sub(rb"\1null", raw)
        return raw

    def pseudonym(self, address: str) -> str:
        """The stored form of a customer's address under ``hash``."""
        assert self._key is not None
        return "hmac-sha256:" + hmac.new(self._key, address.encode(), hashlib.sha256).hexdigest()

    def _endpoint(self, value: Any) -> Any:
        if not isinstance(value, dict) or self.options.customer_endpoints == "keep":
            return value
        hashing = self.options.customer_endpoints == "hash"
        return {
            key: (self.pseudonym(item) if hashing else None)
            if key.lower() == "address" and isinstance(item, str) and item
            else item
            for key, item in value.items()
        }

    def _contact_level(self, record: dict[str, Any]) -> dict[str, Any] | None:
        """A contact record, or a contact event's detail, minimised; None if nothing to do."""
        out: dict[str, Any] = {}
        changed = False
        for key, value in record.items():
            low = key.lower()
            if low in ENDPOINTS and value:
                new = self._endpoint(value)
            elif low == "attributes" and isinstance(value, dict):
                new = {k: v for k, v in value.items() if k in self.keep_attributes}
            elif low in FREE_TEXT and value:
                new = None
            else:
                out[key] = value
                continue
            changed = changed or new != value
            out[key] = new
        return out if changed else None

    def _agent_snapshot(self, snapshot: Any) -> Any:
        if self.options.keep_agent_names or not isinstance(snapshot, dict):
            return snapshot
        config = snapshot.get("Configuration")
        if not isinstance(config, dict) or not any(k.lower() in AGENT_NAMES for k in config):
            return snapshot
        trimmed = {k: v for k, v in config.items() if k.lower() not in AGENT_NAMES}
        return {**snapshot, "Configuration": trimmed}

    def minimise(self, stream: Stream, record: Any) -> dict[str, Any] | None:
        """The record without personal fields, or None when it holds none."""
        if not isinstance(record, dict):
            return None
        if stream is Stream.CONTACT_RECORDS:
            return self._contact_level(record)
        if stream is Stream.CONTACT_EVENTS:
            detail = next((k for k in record if k.lower() == "detail"), None)
            if detail is None or not isinstance(record[detail], dict):
                return None
            new = self._contact_level(record[detail])
            return None if new is None else {**record, detail: new}
        out, changed = dict(record), False
        for key in ("CurrentAgentSnapshot", "PreviousAgentSnapshot"):
            if key in out:
                new = self._agent_snapshot(out[key])
                changed = changed or new is not out[key]
                out[key] = new
        return out if changed else None
