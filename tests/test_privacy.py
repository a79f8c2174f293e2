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
