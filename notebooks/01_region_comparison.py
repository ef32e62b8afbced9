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
regions = ["Kota Batam", "Provinsi Kalimantan Timur", "Kabupaten Bangka Tengah"]  # names or Kemendagri codes

# %%
from IPython.display import Markdown, display

from helpers.analysis import charts, figures, narrative, trends
from helpers.analysis.params import open_report

report = open_report(snapshot=snapshot, regions=regions, lang=lang, until=until)
display(Markdown(narrative.intro("region_comparison", report.lang)))

# %%
latest, totals, targets = figures.region_comparison(report)
display(Markdown(narrative.targets_note(targets, report.lang)))
metric_name = figures.metric_label(report, figures.RECORDING)
chart = charts.region_comparison(latest, targets, report.lang, narrative.comparison_title(latest, metric_name, report.lang),
                                 narrative.comparison_subtitle(latest, report.lang))
charts.show(chart)

# %%
display(Markdown(narrative.comparison_text(latest, totals, metric_name, [], report.lang)))

# %%
figures.table(latest, ["region_label", "value_label", "derived_label", "as_of_label", "source_label", "quote"],
              report.lang)
