"""Extraction quality on the replica's ground truth, beside bare trafilatura.

    python benchmarks/extraction_quality.py

Builds the replica into a temporary folder, extracts every article page with
our extractor and with bare ``trafilatura.extract`` (default settings, on the
same decoded HTML), and prints: body F1 (mean and minimum) per template and
per encoding case, exact-match accuracy of every metadata field, boilerplate
leaks and duplicated paragraphs, against the targets of the issue.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import trafilatura  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from pipelines.extraction.decode import decode_html  # noqa: E402
from scraper.replica.generate import build_site  # noqa: E402
from scraper.replica.scoring import (  # noqa: E402
    METADATA_FIELDS,
    body_scores,
    duplicated_paragraphs,
    leaks,
    raw_pages,
    score_entry,
)
from scraper.sites.profile import load_profile  # noqa: E402

console = Console(width=150)


def _mark(ok: bool) -> str:
    return "[green]met[/]" if ok else "[red]missed[/]"


def main() -> int:
    rules = load_profile("qhnews").rules
    with tempfile.TemporaryDirectory() as tmp:
        site_dir = Path(tmp) / "replica"
        truth = build_site(site_dir)
        ours, bare, ours_time, bare_time = [], [], [], []
        bare_leaks = bare_dupes = 0
        for entry in truth["articles"]:
            pages = raw_pages(site_dir, truth, entry)
            started = time.perf_counter()
            ours.append(score_entry(entry, pages, rules))
            ours_time.append(time.perf_counter() - started)
            started = time.perf_counter()
            texts = [trafilatura.extract(decode_html(p.body, p.content_type, rules.default_charset)[0]) or ""
                     for p in pages]
            bare_time.append(time.perf_counter() - started)
            text = "\n\n".join(texts)
            bare.append(body_scores(text, "\n\n".join(entry["expected"]["paragraphs"]))[2])
            bare_leaks += bool(leaks(text))
            bare_dupes += bool(duplicated_paragraphs(text))

    groups: dict[str, list] = defaultdict(list)
    for score, bare_f1 in zip(ours, bare):
        groups[f"template {score.template}"].append((score.f1, bare_f1))
        groups[f"encoding {score.encoding}"].append((score.f1, bare_f1))
        groups["all pages"].append((score.f1, bare_f1))
    table = Table(title=f"Body F1 on the replica ({len(ours)} article URLs)", title_justify="left")
    for column in ("group", "pages", "ours mean", "ours min", "trafilatura mean", "trafilatura min"):
        table.add_column(column, justify="right" if column != "group" else "left")
    for name in sorted(groups, key=lambda g: (g != "all pages", g)):
        values = groups[name]
        table.add_row(name, str(len(values)), f"{statistics.mean(v[0] for v in values):.4f}",
                      f"{min(v[0] for v in values):.4f}", f"{statistics.mean(v[1] for v in values):.4f}",
                      f"{min(v[1] for v in values):.4f}")
    console.print(table)

    fields = Table(title="Exact-match accuracy of metadata (ours)", title_justify="left")
    fields.add_column("field")
    fields.add_column("accuracy", justify="right")
    accuracy = {}
    for name in (*METADATA_FIELDS, "images", "quality_flags", "page_urls"):
        accuracy[name] = sum(1 for s in ours if name not in s.mismatches and not s.error) / len(ours)
        fields.add_row(name, f"{accuracy[name]:.1%}")
    console.print(fields)

    all_f1 = [s.f1 for s in ours]
    leaked = sum(1 for s in ours if s.leaks)
    duplicated = sum(1 for s in ours if s.duplicated)
    errors = sum(1 for s in ours if s.error)
    checks = Table(title="Targets", title_justify="left")
    for column in ("measure", "ours", "bare trafilatura", "target", ""):
        checks.add_column(column)
    checks.add_row("body F1 mean", f"{statistics.mean(all_f1):.4f}", f"{statistics.mean(bare):.4f}", ">= 0.99",
                   _mark(statistics.mean(all_f1) >= 0.99))
    checks.add_row("body F1 minimum", f"{min(all_f1):.4f}", f"{min(bare):.4f}", ">= 0.97", _mark(min(all_f1) >= 0.97))
    checks.add_row("every metadata field", f"{min(accuracy.values()):.1%} (lowest)", "-", "100%",
                   _mark(min(accuracy.values()) == 1.0))
    checks.add_row("pages with boilerplate leaks", str(leaked), str(bare_leaks), "0", _mark(leaked == 0))
    checks.add_row("pages with duplicated paragraphs", str(duplicated), str(bare_dupes), "0", _mark(duplicated == 0))
    checks.add_row("extraction errors", str(errors), "-", "0", _mark(errors == 0))
    checks.add_row("median time per article (ms)", f"{statistics.median(ours_time) * 1000:.1f}",
                   f"{statistics.median(bare_time) * 1000:.1f}",
                   f"ratio {statistics.median(ours_time) / statistics.median(bare_time):.2f}", "")
    console.print(checks)
    for score in ours:
        if score.mismatches or score.error:
            console.print(f"[yellow]{score.url}[/] {score.error or ''} {list(score.mismatches)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
