"""Download failures mapped to the archive's closed set of reasons."""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from twisted.internet import error as net
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed
from twisted.web.http import _DataLoss

from storage.outcomes import Outcome, Reason


def _data_loss(failure: Failure) -> bool:
    if failure.check(ResponseDataLossError):
        return True
    if failure.check(ResponseFailed):
        return any(r.check(_DataLoss) for r in failure.value.reasons)
    return False


def reason_for_failure(failure: Failure) -> tuple[Outcome, Reason, str]:
    """(outcome, reason, detail) for a request that produced no response."""
    detail = f"{type(failure.value).__name__}: {failure.getErrorMessage()}"[:500]
    if failure.check(DownloadCancelledError) or (failure.check(IgnoreRequest) and "MAXSIZE" in str(failure.value)):
        return Outcome.FAILED, Reason.TOO_LARGE, detail  # over the size limit, as sent or once inflated
    if failure.check(IgnoreRequest):
        if "robots" in str(failure.value).lower():
            return Outcome.SKIPPED, Reason.ROBOTS_FORBIDDEN, ""
        if "offsite" in str(failure.value).lower():
            return Outcome.SKIPPED, Reason.OFFSITE, detail
        return Outcome.FAILED, Reason.DOWNLOAD_ERROR, detail
    if _data_loss(failure):
        return Outcome.FAILED, Reason.TRUNCATED, detail
    if failure.check(CannotResolveHostError, net.DNSLookupError):
        return Outcome.FAILED, Reason.DNS_ERROR, detail
    if failure.check(DownloadTimeoutError, net.TimeoutError, net.TCPTimedOutError):
        return Outcome.FAILED, Reason.TIMEOUT, detail
    if failure.check(DownloadConnectionRefusedError, net.ConnectionRefusedError, net.ConnectError,
                     net.ConnectionLost, net.ConnectionDone, ResponseFailed):
        return Outcome.FAILED, Reason.CONNECTION_ERROR, detail
    return Outcome.FAILED, Reason.DOWNLOAD_ERROR, detail
