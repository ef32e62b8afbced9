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

# %% [markdown]
# # Sebaran kabupaten/kota dari bulan ke bulan
#
# How a metric is spread over every kabupaten/kota of the snapshot, month by month: the median, the middle 80 % and the extremes, from the curated facts and any bulk table (aggregated in DuckDB, so the notebook stays small at national scale).

# %% tags=["parameters"]
snapshot = "latest"  # "latest" or a snapshot id (see `ktpel snapshots`)
lang = "id"  # "id" (Bahasa Indonesia) or "en"
until = None  # only figures as of this date or earlier, e.g. "2024-12-31"
metric = "ktp_recording_pct"  # any percentage metric of `ktpel facts`

# %%
from IPython.display import Markdown, display

from helpers.analysis import charts, figures, narrative
from helpers.analysis.params import open_report

report = open_report(snapshot=snapshot, lang=lang, metric=metric, until=until)

# %%
spread, targets, sources = figures.kabupaten_kota_spread(report, report.metric)
chart = charts.spread(spread, targets, sources, report.lang, narrative.spread_title(spread, report.lang),
                      f"snapshot {report.snapshot_id}")
charts.show(chart)

# %%
display(Markdown(narrative.spread_text(spread, report.lang)))

# %%
figures.table(spread.tail(12), ["period_label", "n", "lo_label", "median_label", "hi_label"], report.lang)
