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
metric = "ktp_recording_pct"  # any percentage metric of `ktpel facts`

# %%
from IPython.display import Markdown, display

from helpers.analysis import charts, figures, narrative, trends
from helpers.analysis.params import open_report

report = open_report(snapshot=snapshot, regions=regions, lang=lang, metric=metric, until=until)
unit = report.con.execute("SELECT unit FROM metrics WHERE metric = ?", [report.metric]).fetchone()[0]
if unit != "percent":  # the titles and axes below speak of coverage in percent
    raise ValueError(f"metric {metric!r} is measured in {unit}; this notebook charts percentages "
                     "(e.g. ktp_recording_pct, kia_ownership_pct; see `ktpel facts`)")
display(Markdown(narrative.intro("coverage_over_time", report.lang)))

# %%
series, targets = figures.coverage_over_time(report, report.metric)
metric_name = figures.metric_label(report, report.metric)
chart = charts.over_time(series, targets, report.lang, narrative.over_time_title(series, metric_name, report.lang),
                         narrative.date_span(series, report.lang))
charts.show(chart)

# %%
display(Markdown(narrative.over_time_text(series, metric_name, [], report.lang)))

# %%
figures.table(series, ["region_label", "value_label", "as_of_label", "source_label", "quote"],
              report.lang)
