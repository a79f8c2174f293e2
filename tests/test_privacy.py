"""Personal fields are removed before storing, as configured (wfm_connector/privacy.py)."""

from __future__ import annotations

import hashlib
import hmac

import orjson
import pytest

from tests.conftest import SHARED
from wfm_connector.config import PrivacyOptions
from wfm_connector.privacy import Minimiser, PrivacyKeyMissing
from wfm_connector.sources.base import Stream

pytestmark = pytest.mark.unit
SAMPLES = SHARED / "reference" / "aws-samples"
CTR = orjson.loads((SAMPLES / "ctr__redelivery_1_of_3__public_ctr_samples.json").read_bytes())
EVENT = orjson.loads(
    (SAMPLES / "agent_event__state_change_enter_acw__determine_acw_time.json").read_bytes()
)
KEY = "a-secret-of-32-characters-length"


def test_by_default_endpoints_attributes_and_free_text_go_the_rest_stays():
    out = Minimiser().minimise(Stream.CONTACT_RECORDS, CTR)
    assert out["CustomerEndpoint"] == {"Address": None, "Type": "TELEPHONE_NUMBER"}
    assert out["TransferredToEndpoint"]["Address"] is None
    assert out["Attributes"] == {} and out["ContactDetails"] == {}
    assert out["SystemEndpoint"] == CTR["SystemEndpoint"]  # the contact center's own number
    assert {k: v for k, v in out.items() if k not in (
        "CustomerEndpoint", "TransferredToEndpoint", "Attributes", "References")} == {
        k: v for k, v in CTR.items() if k not in (
        "CustomerEndpoint", "TransferredToEndpoint", "Attributes", "References")}  # fmt: skip


def test_hashed_endpoints_and_an_attribute_allowlist():
    options = PrivacyOptions(customer_endpoints="hash", keep_attributes=["SurveyFlag"])
    out = Minimiser(options, environ={"WFM_PII_HMAC_KEY": KEY}).minimise(
        Stream.CONTACT_RECORDS, CTR
    )
    # HMAC-SHA256 of the number under the key, worked out independently here
    digest = hmac.new(KEY.encode(), b"+190011112222", hashlib.sha256).hexdigest()
    assert out["CustomerEndpoint"]["Address"] == f"hmac-sha256:{digest}"
    assert out["Attributes"] == {"SurveyFlag": "N"}
    with pytest.raises(PrivacyKeyMissing, match="set WFM_PII_HMAC_KEY"):
        Minimiser(options, environ={})


def test_agent_names_and_contact_event_endpoints():
    out = Minimiser().minimise(Stream.AGENT_EVENTS, EVENT)
    config = out["CurrentAgentSnapshot"]["Configuration"]
    assert "FirstName" not in config and "LastName" not in config
    assert config["Username"] == EVENT["CurrentAgentSnapshot"]["Configuration"]["Username"]
    kept = Minimiser(PrivacyOptions(keep_agent_names=True)).minimise(Stream.AGENT_EVENTS, EVENT)
    assert kept is None  # nothing to remove: stored exactly as delivered
    event = {"id": "x", "detail": {"contactId": "c", "customerEndpoint": {
        "address": "+15550001111", "type": "TELEPHONE_NUMBER"}, "attributes": {"a": "b"}}}
    out = Minimiser().minimise(Stream.CONTACT_EVENTS, event)
    assert out["detail"] == {"contactId": "c", "customerEndpoint": {
        "address": None, "type": "TELEPHONE_NUMBER"}, "attributes": {}}  # fmt: skip
    assert Minimiser().minimise(Stream.CONTACT_EVENTS, {"id": "x", "detail": {"a": 1}}) is None


def test_what_cannot_be_read_is_blanked_by_pattern():
    # a cut record (not JSON): numbers with "+", and quoted strings of 7 to 15 digits with the
    # separators people write, go; dates, timestamps, short codes and long ids stay
    cut = (b'{"Address":"5551234567","b":"(555) 123-4567","c":"tel:555.123.4567","d":'
           b'"2026-11-02","e":"2026-11-02T14:50:00Z","f":"12345","g":"+44 20 7946 0958",'
           b'"h":"1234567890123456789","Attributes":{"name":"Ann"},"mail":"ann@example.com",'
           b'"FirstName":"Ann","Dur')  # fmt: skip
    assert Minimiser().redact(cut) == (
        b'{"Address":"[number]","b":"[number]","c":"[number]","d":"2026-11-02",'
        b'"e":"2026-11-02T14:50:00Z","f":"12345","g":"[number]","h":"1234567890123456789",'
        b'"Attributes":{},"mail":"[email]","FirstName":null,"Dur')  # fmt: skip
    keep = Minimiser(PrivacyOptions(customer_endpoints="keep", keep_agent_names=True))
    assert keep.redact(cut) == cut.replace(b'{"name":"Ann"}', b"{}")
