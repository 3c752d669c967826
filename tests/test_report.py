"""`newsarchive report`: a real archive, the real command, the page opened in real headless
Chromium (Debian's chromium and chromium-driver, which `make test` installs): no console error,
nothing fetched, both charts drawn with the expected marks, a screenshot that is not blank.

Without Chromium, chromedriver or selenium the test skips with the reason; with
NEWSARCHIVE_REQUIRE_SERVICES=1 (CI) it fails instead.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from scraper.replica.corpus import load_corpus
from storage.charts import PALETTE
from storage.db import open_archive
from storage.models import Article
from storage.repository import Archive, FetchRecord
from tests.conftest import run_cli
from tests.services import REQUIRED

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
XINING = ZoneInfo("Asia/Shanghai")
HOSTILE = "<img src=x onerror=alert(1)>党建"
T0 = datetime(2024, 7, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def browser():
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as exc:
        missing.append(f"the selenium package ({exc})")
    if missing:
        message = (f"the browser test needs {' and '.join(missing)}: `make test` installs Debian's chromium and "
                   "chromium-driver when run as root with apt-get; selenium is in the test extra")
        if REQUIRED:
            pytest.fail(f"NEWSARCHIVE_REQUIRE_SERVICES=1 but {message}")
        pytest.skip(message)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    # --no-sandbox: Chromium's sandbox cannot start as root, which CI containers are
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,2400", "--force-device-scale-factor=1"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)  # no Selenium Manager download
    yield driver
    driver.quit()


def _article(n: int, host: str, section: str, published: datetime, body: str) -> dict:
    url = f"http://{host}/system/2024/{n}.shtml"
    return {"url": url, "canonical_url": url, "page_urls": [url], "title": f"第{n}篇", "subtitle": None,
            "column": None, "section": section, "source_outlet": None, "authors": [f"记者{n % 4}"],
            "correspondents": [], "photographers": [], "editor": None, "bylines_raw": {},
            "published_at": published.isoformat(), "published_precision": "minute", "updated_at": None,
            "language": "zh", "text": body, "images": [], "quality_flags": [], "extraction": {"extractor_version": "t"}}


@pytest.fixture(scope="module")
def archive_file(tmp_path_factory) -> tuple[Path, set[tuple[str, str, str]], int]:
    """A SQLite archive: 20 days of Qinghai News in three sections (one with a hostile name, one
    day with nothing), four of its stories republished by 西宁晚报, two of those by 高原新聞網.
    Returns (file, every (site, section, local day) holding an article, dated articles)."""
    db = tmp_path_factory.mktemp("report") / "archive.db"
    engine, sessions = open_archive(str(db))
    archive = Archive(sessions)
    sites = {name: archive.site(name, f"http://{host}", "Asia/Shanghai", outlet) for name, host, outlet in (
        ("qhnews", "www.qhnews.com", "青海新闻网"), ("xnwb", "www.xnwb.example", "西宁晚报"),
        ("gaoyuan", "www.gaoyuan.example", "高原新聞網"))}
    hosts = {"qhnews": "www.qhnews.com", "xnwb": "www.xnwb.example", "gaoyuan": "www.gaoyuan.example"}
    bodies = [article.body for article in load_corpus()]
    cells, stored = set(), 0

    def store(site: str, n: int, section: str, published: datetime, body: str) -> None:
        nonlocal stored
        run = archive.start_run(sites[site])
        record = _article(n, hosts[site], section, published, body)
        fetch = FetchRecord(kind="article", url=record["url"], site_url=record["url"], status=200, fetched_at=T0)
        assert archive.record(run, sites[site], [fetch], record)[0] == "stored"
        cells.add((site, section, published.astimezone(XINING).date().isoformat()))
        stored += 1

    sections = ["党建", "新闻中心", HOSTILE]
    for n in range(30):
        day = n % 20
        if day == 9:  # a day without any article
            continue
        # 23:30 in Xining (15:30 UTC): still that day on the site's calendar
        published = datetime(2024, 6, 1, 23, 30, tzinfo=XINING) + timedelta(days=day) if n % 7 == 0 else \
            datetime(2024, 6, 1, 9, n, tzinfo=XINING) + timedelta(days=day)
        store("qhnews", n, sections[n % 3], published, bodies[n])
    for n in (1, 2, 3, 4):  # republished a day later
        store("xnwb", 100 + n, "要闻", datetime(2024, 6, 2 + n % 20, 10, 0, tzinfo=XINING), bodies[n])
    for n in (1, 2):
        store("gaoyuan", 200 + n, "新聞", datetime(2024, 6, 3 + n, 11, 0, tzinfo=XINING), bodies[n])
    with sessions() as session:  # the precondition: four stories of several copies, as built
        shared = session.execute(select(Article.story_id).group_by(Article.story_id).having(func.count() > 1)).all()
        assert len(shared) == 4
    engine.dispose()
    return db, cells, stored


def _open(driver, page: Path) -> list[dict]:
    driver.get(page.as_uri())
    driver.execute_script("return document.readyState")
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def _pixels(png: bytes) -> dict[tuple[int, int, int], int]:
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    return {colour: count for count, colour in image.getcolors(maxcolors=image.width * image.height)}


def _has(pixels: dict, hex_colour: str, tolerance: int = 3) -> bool:
    want = tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return any(all(abs(a - b) <= tolerance for a, b in zip(colour, want)) for colour in pixels)


def test_report_renders_in_headless_chromium(archive_file, browser, tmp_path):
    db, cells, dated = archive_file
    page = tmp_path / "report.html"
    done = run_cli("report", "-o", str(page), "--db", str(db))
    assert done.returncode == 0, done.stderr
    html = page.read_text(encoding="utf-8")
    for external in ("<script", "<link", "<img", "<iframe", "url(", "@import"):
        assert external not in html, external  # one self-contained file (the hostile name is escaped)
    assert _open(browser, page) == []
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0  # nothing fetched
    assert browser.execute_script("return document.characterSet") == "UTF-8"
    assert browser.execute_script("return document.images.length + document.scripts.length") == 0
    legend = browser.execute_script("return [...document.querySelectorAll('ul.legend li')].map(li => li.textContent)")
    assert f"{HOSTILE} (qhnews)" in legend and "党建 (qhnews)" in legend  # the hostile name shown as text

    charts = browser.execute_script("""
        return [...document.querySelectorAll('svg.chart')].map(svg => {
            const box = svg.getBoundingClientRect();
            const marks = [...svg.querySelectorAll('rect.mark')];
            return {id: svg.id, width: box.width, height: box.height, marks: marks.length,
                    drawn: marks.filter(m => { const b = m.getBoundingClientRect(); return b.width > 0 && b.height > 0; }).length,
                    total: marks.reduce((sum, m) => sum + Number(m.dataset.count), 0)};
        });""")
    by_id = {chart["id"]: chart for chart in charts}
    assert set(by_id) == {"chart-daily", "chart-syndication"}
    for chart in charts:
        assert chart["width"] > 100 and chart["height"] > 100 and chart["drawn"] == chart["marks"], chart
    daily = by_id["chart-daily"]
    assert daily["marks"] == len(cells) and daily["total"] == dated  # a mark per (day, section), every article
    # three sites carry the four stories: Qinghai News the originals, the other two copies
    assert by_id["chart-syndication"]["marks"] == 3 and by_id["chart-syndication"]["total"] == 4 + 4 + 2
    assert "One bar per day, 20 bars" in browser.find_element("id", "daily-note").text

    from selenium.webdriver.common.by import By

    whole = _pixels(browser.get_screenshot_as_png())
    white = whole.get((255, 255, 255), 0)
    assert len(whole) > 20 and sum(whole.values()) - white > 0.02 * sum(whole.values())  # not blank
    drawn = _pixels(browser.find_element(By.ID, "chart-daily").screenshot_as_png)
    assert _has(drawn, PALETTE[0]) and _has(drawn, PALETTE[1])  # the first two series' bars are on screen
    rows = _pixels(browser.find_element(By.ID, "chart-syndication").screenshot_as_png)
    assert _has(rows, PALETTE[0]) and _has(rows, PALETTE[1])


def test_a_long_range_is_summed_by_week_or_month(archive_file, browser, tmp_path):
    db, _cells, dated = archive_file
    page = tmp_path / "long.html"
    done = run_cli("report", "-o", str(page), "--db", str(db), "--since", "2023-01-01", "--until", "2025-12-31")
    assert done.returncode == 0, done.stderr
    assert _open(browser, page) == []
    note = browser.find_element("id", "daily-note").text
    assert "One bar per month, 36 bars" in note and "summed by month" in note
    marks = browser.execute_script("return [...document.querySelectorAll('#chart-daily rect.mark')]"
                                   ".map(m => Number(m.dataset.count))")
    assert sum(marks) == dated and len(marks) == 5  # June 2024, one mark per series


def test_an_empty_archive_gives_a_page_saying_so(browser, tmp_path):
    page = tmp_path / "empty.html"
    done = run_cli("report", "-o", str(page), "--db", str(tmp_path / "empty.db"))
    assert done.returncode == 0, done.stderr
    assert _open(browser, page) == []
    assert "holds no articles" in browser.find_element("id", "empty").text
    assert browser.execute_script("return document.querySelectorAll('svg').length") == 0
    assert _has(_pixels(browser.get_screenshot_as_png()), "#222222", tolerance=40)  # its text is on screen
