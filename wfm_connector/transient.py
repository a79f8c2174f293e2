"""Which failures are worth trying again, and which only a person can fix.

In: an exception that ended a step. Out: :func:`is_transient`, True for faults that pass on
their own (the network, AWS throttling or a service error, a database connection that broke,
an object that could not be fetched this time), False for everything else: missing or wrong
credentials, access denied, a bucket, stream or queue that does not exist, invalid
parameters, defects. Retrying those only delays the error by minutes (three retries with
back-off took over five minutes to report "Unable to locate credentials").

AWS's own advice on which errors to retry (throttling, 5xx, timeouts) is what botocore's
retry handler applies; the codes below are the ones of the services we call (S3, Kinesis,
SQS, STS, KMS through S3).
"""

from __future__ import annotations

import psycopg
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    HTTPClientError,
    IncompleteReadError,
    ReadTimeoutError,
    ResponseStreamingError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.exceptions import ConnectTimeoutError as BotoConnectTimeoutError

from wfm_connector.sources.objects import ObjectsNotRead

# errors of the request itself that pass: throttling, time-outs, expired temporary credentials
# (refreshed on the next try)
TRANSIENT_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled",
    "RequestThrottledException", "TooManyRequestsException", "SlowDown",
    "ProvisionedThroughputExceededException", "LimitExceededException", "RequestLimitExceeded",
    "KMSThrottlingException", "RequestTimeout", "RequestTimeoutException", "RequestExpired",
    "ExpiredToken", "ExpiredTokenException", "InternalError", "InternalFailure",
    "ServiceUnavailable", "KMSInternalException", "PriorRequestNotComplete",
})  # fmt: skip
SERVER_RESTARTING = frozenset({"57P01", "57P02", "57P03"})
_NETWORK = (BotoConnectionError, EndpointConnectionError, ConnectionClosedError,
            ReadTimeoutError, BotoConnectTimeoutError, HTTPClientError, IncompleteReadError,
            ResponseStreamingError)  # fmt: skip


def is_transient(exc: BaseException) -> bool:
    """True when the same step may well succeed if tried again in a minute."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return error.get("Code") in TRANSIENT_CODES or status >= 500 or status == 429
    if isinstance(exc, ObjectsNotRead):  # worth retrying if any object's failure is
        return not exc.causes or any(is_transient(c) for c in exc.causes)
    if isinstance(exc, (*_NETWORK, ConnectionError, TimeoutError)):
        return True
    if isinstance(exc, psycopg.OperationalError):
        # a lost connection (no SQLSTATE, class 08), a rolled-back transaction (40: deadlock,
        # serialization), too few resources (53), a server shutting down or starting (57P0x);
        # not a wrong password (28), a statement too big (54) or a cancelled query
        state = exc.sqlstate
        return state is None or state[:2] in {"08", "40", "53"} or state in SERVER_RESTARTING
    return False
