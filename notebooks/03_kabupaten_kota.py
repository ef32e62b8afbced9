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
province = "Provinsi Kalimantan Timur"  # a province name or code

# %%
from IPython.display import Markdown, display

from helpers.analysis import charts, figures, narrative, trends
from helpers.analysis.params import open_report

report = open_report(snapshot=snapshot, regions=[province], lang=lang, until=until)
province_code = report.regions[0]
display(Markdown(narrative.intro("kabupaten_kota", report.lang)))

# %%
extremes, targets = figures.province_extremes(report, province_code)
display(Markdown(narrative.targets_note(targets, report.lang)))
province_name = report.region_names[province_code]
chart = charts.province_extremes(extremes, targets, report.lang,
                                 narrative.extremes_title(extremes, province_name, report.lang),
                                 narrative.date_span(extremes, report.lang))
charts.show(chart)

# %%
display(Markdown(narrative.extremes_text(extremes, report.lang)))

# %%
figures.table(extremes, ["metric_label", "role_label", "region_label", "value_label", "target_label", "as_of_label",
                         "quote"], report.lang)
