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
metric = "ktp_recording_pct"  # any percentage metric of `ktpel facts`

# %%
from IPython.display import Markdown, display

from helpers.analysis import charts, figures, narrative, trends
from helpers.analysis.params import open_report

report = open_report(snapshot=snapshot, regions=[province], lang=lang, metric=metric, until=until)
province_code = report.regions[0]
display(Markdown(narrative.intro("kabupaten_kota_over_time", report.lang,
                                  province=report.region_names[province_code])))

# %%
local, province_rows = trends.kabupaten_kota_dates(report, province_code, report.metric)
province_name = report.region_names[province_code]
chart = trends.kabupaten_kota_chart(local, province_rows, report.lang,
                                    trends.kabupaten_kota_title(local, province_name, report.lang),
                                    narrative.date_span(local, report.lang))
charts.show(chart)

# %%
display(Markdown(trends.kabupaten_kota_text(local, province_rows, report.lang)))

# %%
trends.kabupaten_kota_table(local, report.lang)
