"""A spider per site profile, so ``scrapy crawl qhnews`` works the Scrapy way."""

from __future__ import annotations

import warnings

from scrapy.spiderloader import SpiderLoader

from scraper.sites.profile import ProfileError, available_profiles, load_profile

from .news import NewsSpider


def spider_for(profile) -> type[NewsSpider]:
    return type(
        f"{profile.name.title().replace('_', '')}Spider",
        (NewsSpider,),
        {"name": profile.name, "profile": profile, "__module__": NewsSpider.__module__},
    )


class ProfileSpiderLoader(SpiderLoader):
    def _load_all_spiders(self) -> None:
        super()._load_all_spiders()
        for name in available_profiles():
            try:
                self._spiders[name] = spider_for(load_profile(name))
            except ProfileError as exc:  # one broken profile must not hide the others
                warnings.warn(str(exc), stacklevel=2)
