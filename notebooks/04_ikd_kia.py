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
display(Markdown(narrative.intro("ikd_kia", report.lang)))

# %%
progress, targets = figures.progress_against_targets(report, ["ikd_activation_pct", "kia_ownership_pct"])
display(Markdown(narrative.targets_note(targets, report.lang)))
chart = charts.progress(progress, targets, report.lang, narrative.progress_title(progress, report.lang),
                        narrative.date_span(progress, report.lang))
charts.show(chart)

# %%
display(Markdown(narrative.progress_text(progress, "IKD/KIA", [], report.lang)))

# %%
figures.table(progress, ["metric_label", "region_label", "value_label", "kind_label", "target_label", "as_of_label",
                         "quote"], report.lang)
