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
# # Kualitas data: angka yang tidak cocok, di atas 100 %, tanpa tanggal
#
# Every stated figure that can be checked against its source's own arithmetic (including Batam's blank cards), every coverage above 100 % and why, and the sources without a publication date.

# %% tags=["parameters"]
snapshot = "latest"  # "latest" or a snapshot id (see `ktpel snapshots`)
lang = "id"  # "id" (Bahasa Indonesia) or "en"

# %%
from IPython.display import Markdown, display

from helpers.analysis import charts, figures, narrative
from helpers.analysis.params import open_report

report = open_report(snapshot=snapshot, lang=lang)

# %%
quality = figures.data_quality(report)
checked = quality["consistency"]
chart = charts.stated_vs_derived(checked, report.lang, narrative.quality_title(checked, report.lang),
                                 f"snapshot {report.snapshot_id}")
charts.show(chart)

# %%
display(Markdown(narrative.quality_text(quality, report.lang)))

# %%
figures.table(quality["over_100"], ["region_label", "metric_label", "value_label", "kind", "source_label", "why"],
              report.lang)

# %%
figures.table(checked, ["region_name", "metric_label", "stated_label", "derived_label", "difference", "agrees", "formula", "quote"],
              report.lang)
