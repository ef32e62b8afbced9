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
region = "Kota Batam"  # a name or Kemendagri code

# %%
from IPython.display import Markdown, display

from helpers.analysis import charts, figures, narrative, profiles, trends
from helpers.analysis.params import open_report

report = open_report(snapshot=snapshot, regions=[region], lang=lang, until=until)
region_code = report.regions[0]
name = report.region_names[region_code]
display(Markdown(narrative.intro("region_profile", report.lang, region=name)))

# %%
profile = figures.region_profile(report, region_code)
percent = profile[profile["unit"] == "percent"]
chart = profiles.profile(percent, report.lang, narrative.profile_title(percent, name, report.lang),
                       narrative.date_span(percent, report.lang))
charts.show(chart)

# %%
display(Markdown(trends.profile_note(report, region_code)))

# %%
for unit in profiles.count_units(profile):  # one chart per unit: persons, cards, machines ... on their own axes
    counts = profile[profile["unit"] == unit]
    unit_name = figures.unit_name(unit, report.lang)
    charts.show(profiles.profile_counts(counts, report.lang, narrative.profile_title(counts, name, report.lang, unit_name),
                                        narrative.date_span(counts, report.lang)))

# %%
figures.table(profile, ["metric_label", "value_label", "kind_label", "as_of_label", "source_label", "quote"],
              report.lang)
