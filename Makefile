# The two set-up commands: `make demo` (the offline demo) and `make test` (the test suite).
# Both create .venv on first use; nothing else needs to be installed beforehand but Python 3.11+.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test install clean bench browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP) $@

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/newsarchive demo

test: $(TEST_STAMP) browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Debian's Chromium and chromedriver, for tests/test_report.py (the HTML report opened in a real
# headless browser). Installed only when missing and apt-get can be used as root; otherwise one
# line says the browser test will skip (with NEWSARCHIVE_REQUIRE_SERVICES=1, as in CI, it fails).
# A Chinese font too, so that the screenshots show the page's Chinese as a reader sees it.
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc
browser:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] && [ -e $(CJK_FONT) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's chromium, chromium-driver and fonts-wqy-zenhei for the browser test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-wqy-zenhei >/dev/null \
	  || { echo "apt-get could not install chromium: the browser test (tests/test_report.py) will skip (fail with NEWSARCHIVE_REQUIRE_SERVICES=1)"; \
	       [ "$$NEWSARCHIVE_REQUIRE_SERVICES" != 1 ]; }; \
	else echo "no /usr/bin/chromium or /usr/bin/chromedriver, and apt-get is not usable as root: the browser test (tests/test_report.py) will skip (fail with NEWSARCHIVE_REQUIRE_SERVICES=1)"; fi

clean:
	rm -rf $(VENV) data .pytest_cache
