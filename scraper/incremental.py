"""Which known URLs a crawl fetches again, and where it stops paging: pure decisions.

The plan is built once per run from the archive's URL state (``storage.state``) and
the site profile's ``[incremental]`` policy; the spider asks it about every article
link and every list page. Nothing here touches the network or the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from scraper.sites.profile import Incremental
from storage.outcomes import Outcome, Reason
from storage.state import KnownUrl


class Decision(StrEnum):
    NEW = "new"  # never met: fetch
    RETRY = "retry"  # the last attempt failed in a way that may pass: fetch
    REVISIT = "revisit"  # known and due: fetch, conditionally when validators are known
    NOT_DUE = "not_due"  # known and not due by the revisit policy: not fetched
    BEFORE_FROM = "before_from"  # backfill: dated before --from: not fetched


# Failures that say nothing about the page itself: the next run tries again.
TRANSIENT = frozenset({
    Reason.SERVER_ERROR, Reason.TIMEOUT, Reason.CONNECTION_ERROR, Reason.DNS_ERROR, Reason.TRUNCATED,
    Reason.DOWNLOAD_ERROR, Reason.HTTP_ERROR, Reason.STORAGE_ERROR, Reason.EXTRACTION_ERROR,
    Reason.INCOMPLETE_MULTIPAGE,
})

RETRIES_EVERY_RUN = 3  # then daily


def parse_moment(value: str | None, option: str) -> datetime | None:
    """An ISO date or time from an option or setting (--as-of); one without a zone is UTC."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{option} {value!r} is not an ISO date or time (e.g. 2024-07-01 or 2024-07-01T08:00+08:00)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def url_day(url: str, pattern: re.Pattern[str] | None) -> date | None:
    """The date an article URL carries (…/2024/06/14/…), by the profile's pattern."""
    match = pattern.search(url) if pattern else None
    if match is None:
        return None
    try:
        return date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:
        return None


def age_reference(known: KnownUrl) -> datetime:
    return known.published_at or known.first_seen_at


def decide(known: KnownUrl | None, policy: Incremental, now: datetime, as_of: datetime,
           revisit_all: bool = False) -> Decision:
    """What to do with an article URL the crawl meets. ``as_of`` is the moment ages are
    measured from (now, unless replaying an old snapshot); ``now`` times the intervals."""
    if known is None:
        return Decision.NEW
    if known.outcome == Outcome.FAILED and known.reason in TRANSIENT:
        if known.failures < RETRIES_EVERY_RUN or known.last_fetched_at is None:
            return Decision.RETRY
        # failing run after run: once a day, not every hour
        return Decision.RETRY if now - known.last_fetched_at >= timedelta(hours=24) else Decision.NOT_DUE
    if revisit_all:
        return Decision.REVISIT
    if known.article_id is None:
        # never archived and failed for good (404, not an article, robots): a dead link, not
        # worth a request every run; `newsarchive state --reset failed` makes it new again
        return Decision.NOT_DUE
    age = as_of - age_reference(known)
    for rule in policy.revisit:
        if age < timedelta(days=rule.younger_than_days):
            if rule.every_hours == 0 or known.last_fetched_at is None:
                return Decision.REVISIT
            due = now - known.last_fetched_at >= timedelta(hours=rule.every_hours)
            return Decision.REVISIT if due else Decision.NOT_DUE
    return Decision.NOT_DUE


def conditional_headers(known: KnownUrl | None) -> dict[str, str]:
    """If-None-Match / If-Modified-Since for a revisit of an article the archive holds."""
    if known is None or known.article_id is None or known.status not in (200, 304):
        return {}
    headers = {}
    if known.etag:
        headers["If-None-Match"] = known.etag
    if known.last_modified:
        headers["If-Modified-Since"] = known.last_modified
    return headers


@dataclass
class CrawlPlan:
    known: dict[str, KnownUrl]
    walked: dict[str, datetime]  # section folder URL -> when a finished run last walked it whole
    policy: Incremental
    now: datetime
    as_of: datetime
    timezone: ZoneInfo
    url_date_pattern: re.Pattern[str] | None = None
    revisit_all: bool = False
    backfill_from: date | None = None
    decided: dict[str, Decision] = field(default_factory=dict)  # per URL, the first decision this run
    salvage: dict[str, Any] = field(default_factory=dict)  # site URL -> storage.salvage.Unrecorded (200s)

    def article(self, url: str) -> tuple[Decision, dict[str, str]]:
        """The decision for an article URL (site address), with the request headers to send."""
        known = self.known.get(url)
        if self.backfill_from is not None and known is None:
            day = url_day(url, self.url_date_pattern)
            if day is not None and day < self.backfill_from:
                return self._note(url, Decision.BEFORE_FROM), {}
        decision = decide(known, self.policy, self.now, self.as_of, self.revisit_all)
        headers = conditional_headers(known) if decision == Decision.REVISIT else {}
        return self._note(url, decision), headers

    def due(self) -> list[tuple[str, dict[str, str]]]:
        """Known article URLs to fetch this run whether or not a list links them: failures to
        retry and articles the revisit policy says are due (a list page read early may not
        link them; paging stops before older ones)."""
        due = []
        for url in self.known:
            decision, headers = self.article(url)
            if decision in (Decision.RETRY, Decision.REVISIT):
                due.append((url, headers))
        return due

    def _note(self, url: str, decision: Decision) -> Decision:
        self.decided.setdefault(url, decision)
        return decision

    def stop_paging(self, section: str, article_urls: list[str]) -> bool:
        """Whether the list page holding ``article_urls`` is the last of ``section`` to read.

        Backfill: when every article on it is dated before --from. Otherwise: when the
        section was walked whole by a finished run before, and every article on the page
        is known (not a failure to retry) and older than the horizon. A run that died
        mid-walk leaves no mark, so the next one walks the section again (fetching only
        what it does not hold).
        """
        if not article_urls:
            return False
        if self.backfill_from is not None:
            days = [url_day(url, self.url_date_pattern) for url in article_urls]
            return all(day is not None and day < self.backfill_from for day in days)
        if section not in self.walked:
            return False
        horizon = timedelta(days=self.policy.horizon_days)
        for url in article_urls:
            known = self.known.get(url)
            if known is None or (known.outcome == Outcome.FAILED and known.reason in TRANSIENT):
                return False
            if self.as_of - age_reference(known) <= horizon:
                return False
        return True

    def counts(self) -> dict[str, int]:
        """How many distinct article URLs got each decision this run."""
        result = {decision.value: 0 for decision in Decision}
        for decision in self.decided.values():
            result[decision.value] += 1
        return result
