"""For ``scrapyd-deploy`` only: everything else about the package is in pyproject.toml.

scrapyd-deploy builds its egg with ``python setup.py bdist_egg`` and, when a
project has no setup.py, writes one whose ``scrapy`` entry point (how scrapyd
finds the settings module) setuptools drops, because pyproject.toml's [project]
table owns the entry points. This file changes the egg build alone; ``pip
install`` and ``pip install -e`` get exactly what pyproject.toml says:

- the egg's ``scrapy: settings`` entry point names ``newsarchive_scrapyd``
  (deploy/scrapyd/newsarchive_scrapyd.py, added to the egg), which unpacks the
  egg so that the site profiles and migrations can be read as files, then loads
  ``scraper.settings``;
- the replica corpus (offline demo and tests only) is left out of the egg.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
EGG_SETTINGS = HERE / "deploy" / "scrapyd" / "newsarchive_scrapyd.py"
EGG_EXCLUDE = {"scraper.replica": ["corpus/*.json"], "scraper.replica.corpus": ["*.json"]}


class BuildPy(build_py):
    """build_py that also adds the egg's settings module when an egg is being built."""

    def run(self):
        super().run()
        if getattr(self.distribution, "scrapyd_egg", False):
            self.copy_file(str(EGG_SETTINGS), str(Path(self.build_lib) / EGG_SETTINGS.name))


cmdclass = {"build_py": BuildPy}

try:
    from setuptools.command.bdist_egg import bdist_egg
except ImportError:  # a setuptools without eggs: nothing for scrapyd-deploy to build with anyway
    pass
else:

    class ScrapydEgg(bdist_egg):
        def finalize_options(self):
            # Before egg_info and build_py read the distribution (they run inside bdist_egg.run).
            dist = self.distribution
            dist.scrapyd_egg = True
            entry_points = dict(dist.entry_points or {})
            entry_points["scrapy"] = [f"settings = {EGG_SETTINGS.stem}"]
            dist.entry_points = entry_points
            exclude = dict(dist.exclude_package_data or {})
            for package, patterns in EGG_EXCLUDE.items():
                exclude[package] = [*exclude.get(package, []), *patterns]
            dist.exclude_package_data = exclude
            super().finalize_options()

    cmdclass["bdist_egg"] = ScrapydEgg

setup(cmdclass=cmdclass)
