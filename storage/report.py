"""`newsarchive report`: the coverage facts (storage.stats.coverage) as one self-contained HTML
page: tables, and two inline SVG charts (storage/charts.py). No script, stylesheet, font or
image is fetched: the file opens offline. Pure: facts in, text out."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone

from .charts import Series, esc, legend, period_label, period_start, periods, stacked_columns, stacked_rows, top_series
from .stats import NONE, Coverage

# CJK fonts first, so that Chinese renders with a real CJK face wherever one is installed.
FONTS = ('"Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", '
         '"PingFang SC", "Microsoft YaHei", "Noto Sans", sans-serif')
TABLE_ROWS = 50  # rows of a bucket table; the rest are counted, and all are in `stats --json --by …`
GAP_ROWS = 200

STYLE = f"""
body {{ font-family: {FONTS}; margin: 2rem auto; max-width: 1000px; padding: 0 1rem; color: #222; }}
h1 {{ font-size: 1.6rem; margin-bottom: .2rem; }} h2 {{ font-size: 1.2rem; margin-top: 2rem; }}
.meta, .note {{ color: #555; font-size: .9rem; }}
table {{ border-collapse: collapse; margin: .5rem 0; font-size: .9rem; }}
th, td {{ border-bottom: 1px solid #ddd; padding: .25rem .6rem; text-align: left; }}
td.n, th.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
.totals td {{ font-size: 1.1rem; }}
svg.chart {{ max-width: 100%; height: auto; font-family: {FONTS}; }}
svg .grid {{ stroke: #e4e4e4; }} svg .axis {{ stroke: #888; }}
svg .tick, svg .label {{ font-size: 11px; fill: #444; }}
ul.legend {{ list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .4rem 1rem; font-size: .85rem; }}
.swatch {{ display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; vertical-align: -1px; }}
.empty {{ font-size: 1.1rem; padding: 1rem; background: #f6f6f6; }}
"""


def render_report(facts: Coverage, source: str, generated: datetime | None = None) -> str:
    """The whole page. ``source`` names the archive (a database URL without its password)."""
    generated = generated or datetime.now(timezone.utc)
    selection = _selection(facts)
    title = "Archive coverage" + (f": {facts.site}" if facts.site else "")
    body = [f"<h1>{esc(title)}</h1>",
            f'<p class="meta">{esc(selection)}. Archive: {esc(source)}. Generated {generated:%Y-%m-%d %H:%M} UTC.</p>']
    if not facts.articles and not facts.undated:
        body.append('<p class="empty" id="empty">The archive holds no articles'
                    f'{esc(" for this selection" if facts.site or facts.since or facts.until else "")}. '
                    "Nothing to chart yet: crawl a site first (<code>newsarchive crawl</code>).</p>")
    else:
        body += [_totals(facts), _daily_chart(facts), _syndication_chart(facts), _fill_rates(facts),
                 _duplicates(facts), _gaps(facts), _buckets(facts)]
    return ("<!DOCTYPE html>\n"
            '<html lang="zh-Hans"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def _selection(facts: Coverage) -> str:
    parts = [f"site {facts.site}" if facts.site else "all sites"]
    if facts.since or facts.until:
        parts.append(f"published {facts.since or '…'} to {facts.until or '…'} (each site's own calendar)")
    return ", ".join(parts)


def _table(headers: list[str], rows: list[list[object]], numeric: set[int] = frozenset(), id_: str = "") -> str:
    head = "".join(f'<th class="n">{esc(h)}</th>' if i in numeric else f"<th>{esc(h)}</th>"
                   for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(
        f'<td class="n">{_number(v)}</td>' if i in numeric else f"<td>{esc(v)}</td>" for i, v in enumerate(row))
        + "</tr>" for row in rows)
    ident = f' id="{esc(id_)}"' if id_ else ""
    return f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _number(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.1%}"
    return f"{value:,}" if isinstance(value, int) else esc(value)


def _more(total: int, shown: int, what: str) -> str:
    return f'<p class="note">… and {total - shown:,} more {esc(what)} (all of them: <code>newsarchive stats --json --by section|outlet|author</code>).</p>' \
        if total > shown else ""


def _totals(facts: Coverage) -> str:
    span = f"{facts.first_day} to {facts.last_day}" if facts.first_day else "no dated article"
    rows = [["articles", facts.articles], ["without a publication time (undated)", facts.undated],
            ["days from the first to the last article", span]]
    sites = _table(["site", "outlet", "time zone", "articles"],
                   [[s["name"], s["outlet"] or "", s["timezone"], s["articles"]] for s in facts.sites], {3}, "sites")
    return ('<h2>Totals</h2><table class="totals" id="totals"><tbody>'
            + "".join(f'<tr><td>{esc(k)}</td><td class="n">{_number(v)}</td></tr>' for k, v in rows)
            + "</tbody></table>" + sites
            + '<p class="note">Days are calendar days in each site\'s own time zone. Undated articles are counted '
              "whatever the dates chosen, and are on no day.</p>")


def _daily_chart(facts: Coverage) -> str:
    """Articles per day (or week, month, year for a long range) per section, stacked."""
    if not facts.first_day:
        return '<h2>Articles per day and section</h2><p class="note">No article has a publication time.</p>'
    first, last = facts.since or facts.first_day, facts.until or facts.last_day
    grain, starts = periods(first, last)
    index = {start: i for i, start in enumerate(starts)}
    several_sites = len({site for site, *_rest in facts.daily}) > 1
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(starts))
    for site, section, day, count in facts.daily:
        name = section or NONE
        counts[f"{name} ({site})" if several_sites else name][index[period_start(day, grain)]] += count
    series = top_series(dict(counts), other="other sections")
    labels = [period_label(start, grain) for start in starts]
    per = {"day": "day", "week": "week (from Monday)", "month": "month", "year": "year"}[grain]
    note = (f"One bar per {per}, {len(starts):,} bars from {first} to {last}"
            + ("" if grain == "day" else f": the range is too long for one bar per day, so days are summed by {grain}")
            + ". The eight sections with most articles are shown apart, the rest as “other sections”.")
    chart = stacked_columns("chart-daily", labels, series, "Articles per " + per + " and section")
    return (f'<h2>Articles per {esc(per)} and section</h2><p class="note" id="daily-note">{esc(note)}</p>'
            f"{chart}{legend(series)}")


def _syndication_chart(facts: Coverage) -> str:
    """Which sites carry how many stories archived in several copies (as the original, as a copy)."""
    heading = "<h2>Outlets carrying syndicated stories</h2>"
    if not facts.syndication:
        return heading + '<p class="note" id="syndication-none">No story has more than one archived copy.</p>'
    labels = [row["outlet"] if row["outlet"] == row["site"] else f"{row['outlet']} ({row['site']})"
              for row in facts.syndication]
    series = [Series("as the original", tuple(r["originals"] for r in facts.syndication)),
              Series("as a copy", tuple(r["copies"] for r in facts.syndication))]
    chart = stacked_rows("chart-syndication", labels, series, "Stories of several copies, per site")
    return (heading + '<p class="note">Stories with more than one copy in the archive, per site that carries them: '
            "whether its copy is the story's original or a later copy.</p>" + chart + legend(series))


def _fill_rates(facts: Coverage) -> str:
    rows = [[name, count, share] for name, (count, share) in facts.fill_rates().items()]
    rows += [[f"quality flag: {flag}", count, count / max(1, facts.articles)]
             for flag, count in sorted(facts.quality_flags.items())]
    return ("<h2>Field fill rates</h2>" + _table(["field", "articles", "share"], rows, {1, 2}, "fill-rates")
            + '<p class="note">authors: at least one name; other fields: present and not empty.</p>')


def _duplicates(facts: Coverage) -> str:
    d = facts.duplicates
    rows = [["alias URLs (same-site duplicate pages, stored once)", d["alias_urls"]],
            ["articles reached by alias URLs", d["articles_with_aliases"]],
            ["stories with more than one copy in the archive", d["stories_with_copies"]],
            ["selected articles that are copies of those stories", d["articles_in_those_stories"]],
            ["copies beyond the first (grouped into a story, not counted twice)", d["copies_beyond_first"]]]
    return "<h2>Duplicates merged</h2>" + _table(["what", "count"], rows, {1}, "duplicates")


def _gaps(facts: Coverage) -> str:
    summary = _table(["site", "section", "from", "to", "days", "with articles", "missing", "gaps", "longest"],
                     [[s["site"], s["section"], s["first"], s["last"], s["days"], s["days_with_articles"],
                       s["days_missing"], s["gaps"], s["longest_gap"]] for s in facts.sections],
                     {4, 5, 6, 7, 8}, "gap-sections")
    longest = sorted(facts.gaps, key=lambda g: (-g.days, g.site, g.section, g.first))[:GAP_ROWS]
    runs = _table(["site", "section", "from", "to", "days"],
                  [[g.site, g.section, g.first, g.last, g.days] for g in longest], {4}, "gaps")
    return ("<h2>Gaps in coverage</h2><p class=\"note\">Days without any article in a section, from the first "
            "chosen day (else the section's first) to the last (else its last).</p>" + summary
            + ("<h3>Longest gaps</h3>" + runs + _more(len(facts.gaps), len(longest), "gaps") if facts.gaps
               else '<p class="note">No gaps.</p>'))


def _buckets(facts: Coverage) -> str:
    out = []
    for by, heading, column in (("section", "Articles by section", "section"),
                                ("outlet", "Articles by source outlet (来源)", "source outlet"),
                                ("author", "Articles by author", "author")):
        rows = facts.buckets(by)
        shown = rows[:TABLE_ROWS]
        out.append(f"<h2>{esc(heading)}</h2>" + _table([column, "articles"], [list(r) for r in shown], {1},
                                                       f"by-{by}") + _more(len(rows), len(shown), column + "s"))
    return "".join(out)
