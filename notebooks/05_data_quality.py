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

# %%
from IPython.display import Markdown, display

from helpers.analysis import charts, figures, narrative, trends
from helpers.analysis.params import open_report

report = open_report(snapshot=snapshot, lang=lang)
display(Markdown(narrative.intro("data_quality", report.lang)))

# %%
quality = figures.data_quality(report)
checked = quality["consistency"]
percent = checked[checked["checkable"] & (checked["unit"] == "percent")]  # one unit per axis: percentage points
chart = charts.stated_vs_derived(percent, report.lang, narrative.quality_title(checked, report.lang),
                                 narrative.snapshot_line(report.snapshot_id, report.lang))
charts.show(chart)

# %%
display(Markdown(narrative.quality_text(quality, report.lang)))

# %%
figures.table(quality["over_100"], ["region_label", "metric_label", "value_label", "kind_label", "source_label", "why"],
              report.lang)

# %%
figures.table(checked, ["region_name", "metric_label", "as_of_label", "stated_label", "derived_label",
                        "difference_label", "agrees_label", "sources_label", "quote"], report.lang)
