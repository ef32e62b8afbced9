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
until = None  # only figures as of this date or earlier, e.g. "2024-12-31"
metric = "ktp_recording_pct"  # any percentage metric of `ktpel facts`

# %%
from IPython.display import Markdown, display

from helpers.analysis import charts, figures, narrative, trends
from helpers.analysis.params import open_report

report = open_report(snapshot=snapshot, lang=lang, metric=metric, until=until)
display(Markdown(narrative.intro("spread", report.lang, minimum=narrative.MIN_VALUES)))

# %%
spread, coverage, sources = figures.kabupaten_kota_spread(report, report.metric)
metric_name = figures.metric_label(report, report.metric)
if not spread.empty:  # drawn only over every kabupaten/kota of one province at one date
    charts.show(charts.spread(spread, figures.targets_for(report, []), sources, report.lang,
                              narrative.spread_title(spread, metric_name, report.lang),
                              narrative.snapshot_line(report.snapshot_id, report.lang)))

# %%
display(Markdown(narrative.spread_text(spread, coverage, report.lang)))

# %%
figures.table(coverage.tail(12), ["province_name", "period_label", "coverage_label", "lo_label", "median_label",
                                 "hi_label", "drawn_label"], report.lang)
