# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: -jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% tags=["parameters"]
snapshot = "latest"  # "latest" or a snapshot id (see `ktpel snapshots`)
lang = "id"  # "id" (Bahasa Indonesia) or "en"
metric = "ktp_recording_pct"  # any percentage metric of `ktpel facts`
region = "Kota Batam"  # the region the picker starts with

# %%
# Explore the snapshot: what it holds, a query in plain SQL (values bound, never pasted into the SQL), and
# a chart of one metric where a dropdown picks the region. Change anything and re-run; `charts.show` works
# for your own Altair charts too.
from IPython.display import Markdown, display

from helpers.analysis import charts, explore
from helpers.analysis.params import open_report

report = open_report(snapshot=snapshot, lang=lang, metric=metric)
inside = explore.contents(report)
display(Markdown(explore.intro(report, inside)))
explore.table(inside["regions"], report.lang)

# %%
explore.table(inside["metrics"], report.lang)

# %%
explore.table(inside["sources"].tail(10), report.lang)

# %%
# SQL on the snapshot's views: `facts_labeled`, `latest_facts`, `disagreements`, `observations` (see the
# README). Pass values as parameters (`?`), never by pasting them into the SQL.
explore.table(report.con.execute("""
    SELECT region_name, as_of AS last_date, value, source_publisher AS publisher
    FROM facts_labeled
    WHERE metric = ? AND kind = 'stated' AND region_level = ?
    ORDER BY as_of DESC NULLS LAST LIMIT 10""", [metric, "kota"]).df(), report.lang)

# %%
# One metric, a region at a time: pick a region in the dropdown under the chart; hover a point for its
# value, date, source and quote.
series, targets = explore.series(report, report.metric)
chart = charts.region_picker(series, report.lang, series["metric_label"].iloc[0],
                             explore.picker_subtitle(series, report.lang), region=region)
charts.show(chart)
