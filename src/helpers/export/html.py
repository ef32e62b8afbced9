"""The HTML of an exported batch: a page per report (no code) and the batch's ``index.html``.

Report pages come from nbconvert's ``HTMLExporter`` with inputs and prompts excluded, through a
small template of our own (``assets/report.html.j2``).  It reuses JupyterLab's cell markup
(``lab/base.html.j2``) but replaces the whole page head: nbconvert's own head loads require.js,
MathJax and mermaid from CDNs and inlines 250 KB of JupyterLab CSS; ours holds a short stylesheet
(``assets/report.css``, DejaVu Sans with system sans-serif fallbacks) and a Content-Security-Policy
``default-src 'none'``, so that even if a notebook output referred to an address, the browser
would not load it.  Outputs are filtered before conversion (:func:`helpers.export.prepare_for_html`):
no streams, errors, scripts or widget state; each chart is its SVG, written inline (not as an
``<img>`` data URL) so its text stays text.  Paths of the building machine are scrubbed.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
from collections.abc import Callable
from functools import cache
from html import escape
from importlib.resources import files
from typing import Any

import nbformat

from helpers.analysis.charts import vegalite_version
from helpers.analysis.figures import formula_text
from helpers.analysis.labels import (
    date_inferred,
    date_text,
    publisher_name,
    source_date,
    source_title_parts,
    value_text,
)
from helpers.export.model import (
    CHARTS_DIR,
    INDEX,
    Batch,
    Chart,
    Run,
    format_timestamp,
    text,
)
from helpers.export.render import render_svg
from helpers.i18n import word

#: No network at all: no scripts, no fetches; inline styles and data: images only.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
#: Draws every chart of the page that has a bound parameter (e.g. a region dropdown) with Vega, in place of
#: its SVG; with `ast` Vega-Embed interprets expressions (no eval), so the page's CSP allows this one script by its hash.
EMBED_SNIPPET = """document.querySelectorAll("[data-ktpel-spec]").forEach(function (el) {
  var spec = JSON.parse(document.getElementById(el.getAttribute("data-ktpel-spec")).textContent);
  vegaEmbed(el, spec, {actions: false, ast: true, renderer: "svg"})
    .catch(function (error) { console.error(error); });
});"""
LANG_NAMES = {"id": "Bahasa Indonesia", "en": "English"}
TEMPLATE = "ktpel_report.html.j2"


@cache
def asset(name: str) -> str:
    return (files("helpers") / "assets" / name).read_text(encoding="utf-8")


@cache
def _exporter() -> Any:
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    config = Config()
    config.HTMLExporter.exclude_input = True
    config.HTMLExporter.exclude_input_prompt = True
    config.HTMLExporter.exclude_output_prompt = True
    config.HTMLExporter.exclude_anchor_links = True
    config.HTMLExporter.embed_images = False  # True re-parses inline HTML of markdown and breaks <cite>…</cite>
    config.HTMLExporter.sanitize_html = True  # markdown and HTML outputs go through clean_html (below)
    exporter = HTMLExporter(config=config, template_name="lab", template_file=TEMPLATE,
                            extra_loaders=[DictLoader({TEMPLATE: asset("report.html.j2")})])
    exporter.register_filter("clean_html", clean_html)
    return exporter


#: What a narrative or a table may be made of; anything else a data string smuggles in (``<img onerror>``,
#: ``<iframe>``, ``<svg onload>``, ``<meta http-equiv>``, ``javascript:`` links) is shown as text.
SAFE_TAGS = frozenset({"a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd", "del", "div",
                       "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "q", "s",
                       "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
                       "u", "ul"})
SAFE_ATTRIBUTES = {"*": ["class", "id", "title"], "a": ["href"], "td": ["colspan", "rowspan"],
                   "th": ["colspan", "rowspan", "scope"]}


def clean_html(html: Any) -> str:
    """``html`` with only :data:`SAFE_TAGS` and :data:`SAFE_ATTRIBUTES` kept, every other tag escaped, and
    links only to http(s), mailto and fragments (bleach, the sanitizer nbconvert itself uses)."""
    import bleach

    text = html.decode() if isinstance(html, bytes) else str(html)
    return bleach.clean(text, tags=SAFE_TAGS, attributes=SAFE_ATTRIBUTES, protocols={"http", "https", "mailto"},
                        strip=False, strip_comments=True)


def inline_svg(svg: str, chart: Chart) -> str:
    """The SVG ready to sit inside a page: no XML prolog, ids made unique to the chart,
    labelled for screen readers with the chart's finding, no script."""
    svg = re.sub(r"^\s*(<\?xml[^>]*\?>\s*)?(<!DOCTYPE[^>]*>\s*)?", "", svg)
    svg = re.sub(r"<script\b.*?</script\s*>", "", svg, flags=re.S | re.I)
    ids = set(re.findall(r'\sid="([^"]+)"', svg))
    for old in sorted(ids, key=len, reverse=True):
        new = f"{chart.stem}-{old}"
        svg = svg.replace(f'id="{old}"', f'id="{new}"').replace(f"url(#{old})", f"url(#{new})")
        svg = svg.replace(f'href="#{old}"', f'href="#{new}"')
    label = escape(chart.title, quote=True)
    return re.sub(r"<svg\b", f'<svg role="img" aria-label="{label}"', svg, count=1)


def chart_links(chart: Chart, lang: str) -> str:
    links = " · ".join(f'<a href="{CHARTS_DIR}/{escape(chart.stem)}.{ext}">{ext.upper()}</a>'
                       for ext in ("png", "svg", "pdf"))
    return f"{escape(text('chart_files', lang))}: {links}"


def _scrub(html: str, batch: Batch) -> str:
    """Remove any path of the building machine (the project root, however spelled)."""
    root = batch.project.root
    for spelled in sorted({str(root), str(root.resolve()), root.as_posix()}, key=len, reverse=True):
        html = html.replace(spelled + "/", "").replace(spelled, ".")
    return html


def _snapshot_line(batch: Batch, lang: str) -> str:
    return (f"{escape(text('snapshot', lang))} <code>{escape(batch.snapshot_id)}</code> · {escape(text('built', lang))} "
            f'<time datetime="{escape(batch.created_at)}">{escape(batch.built(lang))}</time>')


def _source_items(batch: Batch, source_ids: list[str], lang: str) -> str:
    items = []
    for sid in source_ids:
        source = batch.source(sid)
        if source is None:
            items.append(f"<li><code>{escape(sid)}</code></li>")
            continue
        items.append(f"<li>{source_html(source, lang)}</li>")
    return "\n".join(items)


def source_html(source: dict[str, Any], lang: str) -> str:
    """A source as a page cites it: only its own words (title, publisher) marked ``class="verbatim"``; a
    curator's remark, "untitled source" or "publisher not recorded" said in the page's language."""
    title, remark = source_title_parts(source, lang)
    publisher = publisher_name(source)
    head = "" if title is None else f'<cite class="verbatim">{escape(title)}</cite>'
    head += (f" ({escape(remark)})" if head else escape(remark)) if remark else ""
    who = f'<span class="verbatim">{escape(publisher)}</span>' if publisher else escape(text("no_publisher", lang))
    return f"{head} — {who} · {escape(source_date(source, lang))}"


def _head(title: str, lang: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="{escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            '<meta name="generator" content="ktpel export">\n'
            f"<title>{escape(title)}</title>\n<style>\n{asset('report.css')}\n</style>\n</head>\n")


def has_bound_parameter(spec: Any) -> bool:
    """Whether a Vega-Lite spec has a parameter bound to an input (a dropdown, a slider...)."""
    if isinstance(spec, dict):
        return any(isinstance(p, dict) and "bind" in p for p in spec.get("params", [])) or any(
            has_bound_parameter(v) for v in spec.values())
    return isinstance(spec, list) and any(has_bound_parameter(v) for v in spec)


@cache
def vega_bundle(vl_version: str | None) -> str:
    """Vega, Vega-Lite and Vega-Embed (vl-convert's offline bundle, ~0.9 MB) with :data:`EMBED_SNIPPET`."""
    import vl_convert as vlc

    return str(vlc.javascript_bundle(EMBED_SNIPPET, vl_version=vl_version))


def _interactive(chart: Chart, svg: str) -> str:
    """The chart's SVG inside a container Vega replaces with the live chart; its spec beside it."""
    spec = json.dumps(chart.spec, ensure_ascii=False).replace("</", "<\\/")
    return (f'<div class="ktpel-vega" data-ktpel-spec="spec-{escape(chart.stem)}">{svg}</div>\n'
            f'<script type="application/json" id="spec-{escape(chart.stem)}">{spec}</script>')


def _scripts(run: Run) -> tuple[str, str]:
    """(the page's script, its CSP): Vega only on a page with a chart that has a bound parameter."""
    live = [c for c in run.charts if has_bound_parameter(c.spec)]
    if not live:
        return "", CSP
    bundle = vega_bundle(vegalite_version(live[0].spec))
    digest = base64.b64encode(hashlib.sha256(bundle.encode("utf-8")).digest()).decode()
    return f"<script>{bundle}</script>", CSP.replace("default-src 'none';", f"default-src 'none'; script-src 'sha256-{digest}';")


def report_page(batch: Batch, run: Run) -> bytes:
    """``<name>.html``: the run's narrative, tables and charts, no code, no network.  A chart with a
    bound parameter (the explore notebook's region picker) also works there: its page alone inlines
    Vega (vl-convert's bundle, no eval) and allows that script by its hash."""
    lang = run.lang

    def svg_of(c: Chart) -> str:
        svg = inline_svg(c.svg or render_svg(c.spec), c)
        return _interactive(c, svg) if has_bound_parameter(c.spec) else svg

    scripts, csp = _scripts(run)
    nb = prepare_for_html(run, svg_of, lambda c: {"stem": c.stem, "links": chart_links(c, lang)})
    nav = (f'<nav class="ktpel-nav"><a href="{INDEX}">{escape(text("back", lang))}</a>'
           f"<span>{_snapshot_line(batch, lang)}</span>"
           f'<span>{escape(text("notebook", lang))}: <a href="{escape(run.path.name)}"><code>{escape(run.path.name)}</code></a></span>'
           "</nav>")
    used = list(dict.fromkeys(s for c in run.charts for s in c.sources))
    heading = text("sources_of_report", lang) if used else text("sources_of_snapshot", lang)
    sources = (f'<footer class="ktpel-sources"><h2>{escape(text("sources", lang))}</h2>\n'
               f"<p>{escape(heading)} ({_snapshot_line(batch, lang)}):</p>\n"
               f'<ul>\n{_source_items(batch, used or [s["source_id"] for s in batch.sources], lang)}\n</ul>\n'
               f'<p class="note">{escape(text("offline", lang))}</p></footer>')
    resources = {"ktpel": {"lang": lang, "csp": csp, "title": f"{run.title} · KTP-el", "css": asset("report.css"),
                           "nav": nav, "sources": sources, "scripts": scripts},
                 "metadata": {"name": run.name}}
    body, _ = _exporter().from_notebook_node(nb, resources=resources)
    body = body.replace("</main>", f"</main>\n{facts_section(batch, linked_facts(body), lang, linked_targets(body))}", 1)
    return _scrub(body, batch).encode("utf-8")


FACT_HREF = re.compile(r'href="#fact-([0-9a-z]+)"')
TARGET_HREF = re.compile(r'href="#target-([0-9a-z_]+-\d{4})"')


def linked_targets(html: str) -> list[str]:
    return list(dict.fromkeys(TARGET_HREF.findall(html)))


def linked_facts(html: str) -> list[str]:
    """The fact ids a page links to, in order of first appearance."""
    return list(dict.fromkeys(FACT_HREF.findall(html)))


def facts_section(batch: Batch, fact_ids: list[str], lang: str, target_ids: list[str] | None = None) -> str:
    """The end of a page: every fact its narrative and tables link to (and the inputs of derived ones), each
    with its value, region, date, whether it is stated, derived or has an inferred date, its quote and source."""
    order = list(fact_ids)
    for fid in order:  # inputs of derived facts join the list, so their links resolve too
        for inp in _inputs(batch.facts.get(fid, {})):
            if inp not in order:
                order.append(str(inp))
    items = [fact_item(batch, fid, lang) for fid in order if fid in batch.facts]
    items += [target_item(batch, tid, lang) for tid in target_ids or [] if tid in batch.targets]
    if not items:
        return ""
    return (f'<section class="ktpel-facts" id="facts"><h2>{escape(text("facts_heading", lang))}</h2>\n'
            f'<p class="note">{escape(text("facts_intro", lang))}</p>\n<ol>\n{"".join(items)}</ol></section>')


def fact_item(batch: Batch, fact_id: str, lang: str) -> str:
    f = batch.facts[fact_id]
    inferred = date_inferred(f.get("note")) or any(date_inferred(batch.facts.get(i, {}).get("note")) for i in _inputs(f))
    exact_derived = f["kind"] == "derived" and f["qualifier"] == "exact"  # an approximate sum keeps its inputs' precision
    value = value_text(f["value"], f["unit"], max(int(f["decimals"]), 2) if exact_derived else int(f["decimals"]),
                       f["qualifier"], lang)
    kind = text("fact_derived" if f["kind"] == "derived" else "fact_stated", lang)
    if inferred:
        kind += f"; {text('fact_inferred', lang)}"
    parts = [f"<strong>{escape(value)}</strong> · {escape(str(f['label_' + lang]))} · {escape(str(f['region_name']))} · "
             f"{escape(date_text(f['as_of'], f['as_of_precision'], lang, inferred))} · <em>{escape(kind)}</em>"]
    inputs = _inputs(f)
    if inputs:  # in the shape of the formula (÷, ×, −), each input named and linked; never a metric id
        linked = {str(batch.facts[i]["metric"]): f'{escape(str(batch.facts[i]["label_" + lang]))} '
                  f'<a href="#fact-{escape(i)}">{escape(_fact_value(batch, i, lang))}</a>' for i in inputs if i in batch.facts}
        shown = (formula_text(str(f["formula"]), linked, lang) if isinstance(f.get("formula"), str) and f["formula"]
                 else ", ".join(linked.values()))
        parts.append(f"{escape(text('fact_inputs', lang))} {shown}")
    if f["kind"] == "stated" and isinstance(f.get("quote"), str):
        parts.append(f'{escape(text("fact_quote", lang))}: <q class="verbatim">{escape(f["quote"])}</q>')
    return _item(f"fact-{fact_id}", parts + _source_part(batch, str(f["source_id"]), lang))


def target_item(batch: Batch, target_id: str, lang: str) -> str:
    """A national target as the page cites it: value, metric, year (estimated or stated), quote, source."""
    r = batch.targets[target_id]
    year = f"{r['year']}" + (f" ({word('year_estimated', lang)})" if r["year_is_estimate"] else "")
    parts = [f"<strong>{escape(value_text(r['value'], r['unit'], 0, 'exact', lang))}</strong> · "
             f"{escape(word('target', lang))} · {escape(str(r['label_' + lang]))} · {escape(year)}",
             f'{escape(text("fact_quote", lang))}: <q class="verbatim">{escape(str(r["quote"]))}</q>']
    return _item(f"target-{target_id}", parts + _source_part(batch, str(r["source_id"]), lang))


def _source_part(batch: Batch, source_id: str, lang: str) -> list[str]:
    """The source line of a fact or target (title — publisher · date); none if the snapshot lacks the source."""
    source = batch.source(source_id)
    if source is None:
        return []
    return [f'{escape(text("fact_source", lang))}: {source_html(source, lang)}']


def _item(anchor: str, parts: list[str]) -> str:
    """A fact or target of the list at the end of a page: its lines, and its ``anchor`` for links."""
    return f'<li id="{escape(anchor)}">' + "<br>".join(parts) + "</li>\n"


def _inputs(fact: dict[str, Any]) -> list[str]:
    ids = fact.get("input_fact_ids")
    return [] if ids is None else [str(i) for i in ids]


def _fact_value(batch: Batch, fact_id: str, lang: str) -> str:
    f = batch.facts.get(fact_id)
    return fact_id if f is None else value_text(f["value"], f["unit"], int(f["decimals"]), f["qualifier"], lang)


def _parameters(run: Run) -> str:
    items = []
    for key, value in run.effective.items():
        cls = ' class="set"' if key in run.parameters else ""
        items.append(f"<li{cls}><code>{escape(key)} = {escape(json.dumps(value, ensure_ascii=False, default=str))}"
                     "</code></li>")
    return f'<ul class="params">{"".join(items)}</ul>'


#: An index with more reports than this groups them by province (a national batch: 514 profiles).
GROUP_MIN_RUNS = 20


def index_page(batch: Batch, decks: dict[str, tuple[str, str | None, int]]) -> bytes:
    """``index.html``: every report of the batch with its parameters, charts and decks (file name ->
    (language, province or None, charts)), the snapshot id and build time, and the sources of the snapshot.
    With more than :data:`GROUP_MIN_RUNS` reports, they are grouped by province, with a list of them."""
    lang = batch.lang
    c = batch.counts
    parts = [_head(f"{text('index_title', lang)} · {batch.snapshot_id}", lang), '<body>\n<div class="page">\n',
             f"<header><h1>{escape(text('index_title', lang))}</h1>\n<p>{_snapshot_line(batch, lang)} · "
             f"{c.get('fact_count')} {escape(text('facts', lang))}, {c.get('source_count')} "
             f"{escape(text('sources', lang).lower())}</p></header>\n"]
    regions = batch.regions()
    if regions:
        parts.append(f"<p>{escape(text('regions', lang))}: {escape(', '.join(regions))}</p>\n")
    parts.append(f"<h2>{escape(text('reports', lang))}</h2>\n")
    groups = batch.by_province() if len(batch.runs) > GROUP_MIN_RUNS else [(None, batch.runs)]
    if len(groups) > 1:
        parts.append('<p class="provinces">' + " · ".join(
            f'<a href="#provinsi-{escape(code)}">{escape(batch.region_names.get(code, code))}</a> ({len(runs)})'
            for code, runs in groups if code is not None) + "</p>\n")
    if batch.runs:
        parts.append(f"<table class=\"reports\"><thead><tr><th>{escape(text('report', lang))}</th>"
                     f"<th>{escape(text('parameters', lang))}</th><th>{escape(text('charts', lang))}</th>"
                     f"<th>{escape(text('notebook', lang))}</th></tr></thead>\n<tbody>\n")
        for code, runs in groups:
            if len(groups) > 1 and code is not None:
                parts.append(f'<tr class="group" id="provinsi-{escape(code)}"><th colspan="4">'
                             f"{escape(batch.region_names.get(code, code))}</th></tr>\n")
            parts += [_index_row(run, lang) for run in runs]
        parts.append(f"</tbody></table>\n<p class=\"note\">{escape(text('parameters', lang))}: "
                     f"{escape(text('set_by_run', lang))}.</p>\n")
    else:
        parts.append(f"<p>{escape(text('no_reports', lang))}</p>\n")
    if decks:
        parts.append(f"<h2>{escape(text('slides', lang))}</h2>\n<ul>\n")
        for name, (deck_lang, province, n) in decks.items():
            where = f"{batch.region_names.get(province, province)}, " if province else ""
            parts.append(f'<li><a href="{escape(name)}">{escape(name)}</a> ({escape(where)}'
                         f"{escape(LANG_NAMES.get(deck_lang, deck_lang))}, {n} {escape(text('charts_count', lang))})</li>\n")
        parts.append("</ul>\n")
    if batch.failed:
        parts.append(f"<h3 class=\"failed\">{escape(text('failed', lang))}</h3>\n<ul>\n")
        parts += [f'<li><a href="{escape(p.name)}">{escape(p.name)}</a></li>\n' for p in batch.failed]
        parts.append("</ul>\n")
    parts.append(f"<h2>{escape(text('sources', lang))}</h2>\n<p>{escape(text('sources_of_snapshot', lang))}:</p>\n"
                 f'<ol class="sources-list">\n{_source_items(batch, [s["source_id"] for s in batch.sources], lang)}\n'
                 f"</ol>\n<p class=\"note\">{escape(text('offline', lang))}</p>\n</div>\n</body>\n</html>\n")
    return _scrub("".join(parts), batch).encode("utf-8")


def _index_row(run: Run, lang: str) -> str:
    charts = "".join(f"<li>{escape(ch.title)}<br>{chart_links(ch, lang)}</li>" for ch in run.charts)
    ran = f" · {escape(text('run_at', lang))} {escape(_short_time(run.finished, lang))}" if run.finished else ""
    return (f'<tr><td><a href="{escape(run.name)}.html">{escape(run.title)}</a><br>'
            f'<span class="muted">{escape(run.name)} · {escape(LANG_NAMES.get(run.lang, run.lang))}'
            f"{ran}</span></td><td>{_parameters(run)}</td><td><ul>{charts}</ul></td>"
            f'<td><a href="{escape(run.path.name)}">{escape(run.path.name)}</a></td></tr>\n')


def _short_time(value: str | None, lang: str) -> str:

    return format_timestamp(value, lang)


def prepare_for_html(run: Run, chart_svg: Callable[[Chart], str], chart_meta: Callable[[Chart], dict[str, Any]],
                     ) -> nbformat.NotebookNode:
    """A copy of the run's notebook holding only what a reader needs: the outputs
    that are narrative, tables or charts (the chart as its SVG; no streams, errors or scripts)."""
    keep = ("text/html", "text/markdown", "image/svg+xml", "image/png", "image/jpeg", "text/plain")
    nb = copy.deepcopy(run.nb)
    charts = {c.position: c for c in run.charts}
    for ci, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        outputs = []
        for oi, output in enumerate(cell.get("outputs", [])):
            if output.output_type not in ("display_data", "execute_result"):
                continue
            chart = charts.get((ci, oi))
            if chart is not None:
                output.data = nbformat.from_dict({"image/svg+xml": chart_svg(chart), "text/plain": chart.title})
                output.metadata = nbformat.from_dict({"ktpel_export": chart_meta(chart)})
            else:
                output.data = nbformat.from_dict({k: v for k, v in output.get("data", {}).items() if k in keep})
                if "text/html" in output.data:
                    output.data["text/html"] = _strip_scripts(output.data["text/html"])
            if output.data:
                outputs.append(output)
        cell.outputs = outputs
    # The notebook's own markdown is for the analyst who edits it; a page shows only what the run wrote,
    # in the run's language (its heading and intro come from the catalogue).
    nb.cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    return nb


def _strip_scripts(html: str | list[str]) -> str:
    html = "".join(html) if isinstance(html, list) else html
    return re.sub(r"<script\b.*?</script\s*>", "", html, flags=re.S | re.I)
