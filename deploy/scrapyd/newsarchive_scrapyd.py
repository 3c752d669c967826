"""The Scrapy settings module of the newsarchive egg that ``scrapyd-deploy`` uploads.

setup.py puts this file at the top of the egg and names it in the egg's
``scrapy: settings`` entry point, the one scrapyd reads. scrapyd imports an egg
straight from the zip file, where the project's data files (site profiles in
``scraper/sites/*.toml``, Alembic migrations in ``storage/migrations``, the JSON
schema) cannot be opened as files: the spider loader would find no site and the
archive could not be created. So this module unpacks the egg once into a cache
folder, puts that folder first on ``sys.path`` and then takes the project's
settings from ``scraper.settings`` (the ``[settings] default`` of scrapy.cfg).

Cache folder: ``$NEWSARCHIVE_EGG_CACHE``, else ``$XDG_CACHE_HOME/newsarchive/eggs``,
else ``~/.cache/newsarchive/eggs``; one subfolder per egg content, so a new
deployed version never runs old files. Old subfolders may be deleted at any
time no job runs.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

SETTINGS_MODULE = "scraper.settings"


def _cache_root() -> Path:
    chosen = os.environ.get("NEWSARCHIVE_EGG_CACHE")
    if chosen:
        return Path(chosen).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "newsarchive" / "eggs"


def _unpack(egg: Path) -> Path:
    """The egg's files in a real folder (made on first use; safe when jobs start together)."""
    digest = hashlib.sha256(egg.read_bytes()).hexdigest()[:20]
    root = _cache_root()
    # A name ending in .egg lets importlib.metadata find EGG-INFO in it, as in the zip.
    target = root / f"newsarchive-{digest}.egg"
    if not target.is_dir():
        root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".unpacking-", dir=root))
        try:
            with zipfile.ZipFile(egg) as archive:
                archive.extractall(staging)
            os.rename(staging, target)  # atomic: a folder under this name is always complete
        except OSError:
            if not target.is_dir():  # not just another job that unpacked it first
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target


def _activate() -> None:
    archive = getattr(globals().get("__loader__"), "archive", None)  # set by zipimport only
    if not archive:
        return  # imported from a folder (an unpacked egg, a checkout): files are readable as they are
    folder = str(_unpack(Path(archive)))
    if folder not in sys.path:
        sys.path.insert(0, folder)
    importlib.invalidate_caches()


_activate()

from scraper.settings import *  # noqa: E402,F403 - the project's settings, now read from the unpacked egg
