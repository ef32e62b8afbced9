"""Write the report notebooks of notebooks/ from the cell sources below.

The notebooks are the product; this script keeps their shared shape (title,
parameters cell, validation cell, chart, narrative, table) in one place.
Run `make notebooks` afterwards to execute them and store their outputs.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
KERNEL = {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
          "language_info": {"name": "python", "version": "3.11"}}
COMMON = '''snapshot = "latest"  # "latest" or a snapshot id (see `ktpel snapshots`)
lang = "id"  # "id" (Bahasa Indonesia) or "en"
until = None  # only figures as of this date or earlier, e.g. "2024-12-31"'''
REGIONS = '''regions = ["Kota Batam", "Provinsi Kalimantan Timur", "Kabupaten Bangka Tengah"]  # names or Kemendagri codes'''
IMPORTS = "from IPython.display import Markdown, display\n\nfrom helpers.analysis import charts, figures, narrative, trends\nfrom helpers.analysis.params import open_report"

NOTEBOOKS: dict[str, dict[str, object]] = {
    "01_region_comparison": {
        "params": COMMON + "\n" + REGIONS,
        "open": "report = open_report(snapshot=snapshot, regions=regions, lang=lang, until=until)\n"
                'display(Markdown(narrative.intro("region_comparison", report.lang)))',
        "cells": [
            '''latest, totals, targets = figures.region_comparison(report)
metric_name = figures.metric_label(report, figures.RECORDING)
chart = charts.region_comparison(latest, targets, report.lang, narrative.comparison_title(latest, metric_name, report.lang),
                                 narrative.date_span(latest, report.lang))
charts.show(chart)''',
            "display(Markdown(narrative.comparison_text(latest, totals, metric_name, [], report.lang)))",
            '''figures.table(latest, ["region_label", "value_label", "derived_label", "as_of_label", "source_label", "quote"],
              report.lang)''',
        ],
    },
    "02_coverage_over_time": {
        "params": COMMON + "\n" + REGIONS + '\nmetric = "ktp_recording_pct"  # any percentage metric of `ktpel facts`',
        "open": "report = open_report(snapshot=snapshot, regions=regions, lang=lang, metric=metric, until=until)\n"
                "unit = report.con.execute(\"SELECT unit FROM metrics WHERE metric = ?\", [report.metric]).fetchone()[0]\n"
                "if unit != \"percent\":  # the titles and axes below speak of coverage in percent\n"
                "    raise ValueError(f\"metric {metric!r} is measured in {unit}; this notebook charts percentages \"\n"
                "                     \"(e.g. ktp_recording_pct, kia_ownership_pct; see `ktpel facts`)\")\n"
                'display(Markdown(narrative.intro("coverage_over_time", report.lang)))',
        "cells": [
            '''series, targets = figures.coverage_over_time(report, report.metric)
metric_name = figures.metric_label(report, report.metric)
chart = charts.over_time(series, targets, report.lang, narrative.over_time_title(series, metric_name, report.lang),
                         narrative.date_span(series, report.lang))
charts.show(chart)''',
            "display(Markdown(narrative.over_time_text(series, metric_name, [], report.lang)))",
            '''figures.table(series, ["region_label", "value_label", "as_of_label", "source_label", "quote"],
              report.lang)''',
        ],
    },
    "03_kabupaten_kota": {
        "params": COMMON + '\nprovince = "Provinsi Kalimantan Timur"  # a province name or code',
        "open": "report = open_report(snapshot=snapshot, regions=[province], lang=lang, until=until)\n"
                "province_code = report.regions[0]\n"
                'display(Markdown(narrative.intro("kabupaten_kota", report.lang)))',
        "cells": [
            '''extremes, targets = figures.province_extremes(report, province_code)
province_name = report.region_names[province_code]
chart = charts.province_extremes(extremes, targets, report.lang,
                                 narrative.extremes_title(extremes, province_name, report.lang),
                                 narrative.date_span(extremes, report.lang))
charts.show(chart)''',
            "display(Markdown(narrative.extremes_text(extremes, report.lang)))",
            '''figures.table(extremes, ["metric_label", "role_label", "region_label", "value_label", "target_label", "as_of_label",
                         "quote"], report.lang)''',
        ],
    },
    "04_ikd_kia": {
        "params": COMMON + "\n" + REGIONS,
        "open": "report = open_report(snapshot=snapshot, regions=regions, lang=lang, until=until)\n"
                'display(Markdown(narrative.intro("ikd_kia", report.lang)))',
        "cells": [
            '''progress, targets = figures.progress_against_targets(report, ["ikd_activation_pct", "kia_ownership_pct"])
chart = charts.progress(progress, targets, report.lang, narrative.progress_title(progress, report.lang),
                        narrative.date_span(progress, report.lang))
charts.show(chart)''',
            'display(Markdown(narrative.progress_text(progress, "IKD/KIA", [], report.lang)))',
            '''figures.table(progress, ["metric_label", "region_label", "value_label", "kind_label", "target_label", "as_of_label",
                         "quote"], report.lang)''',
        ],
    },
    "05_data_quality": {
        "params": '''snapshot = "latest"  # "latest" or a snapshot id (see `ktpel snapshots`)
lang = "id"  # "id" (Bahasa Indonesia) or "en"''',
        "open": "report = open_report(snapshot=snapshot, lang=lang)\n"
                'display(Markdown(narrative.intro("data_quality", report.lang)))',
        "cells": [
            '''quality = figures.data_quality(report)
checked = quality["consistency"]
percent = checked[checked["checkable"] & (checked["unit"] == "percent")]  # one unit per axis: percentage points
chart = charts.stated_vs_derived(percent, report.lang, narrative.quality_title(checked, report.lang),
                                 narrative.snapshot_line(report.snapshot_id, report.lang))
charts.show(chart)''',
            "display(Markdown(narrative.quality_text(quality, report.lang)))",
            '''figures.table(quality["over_100"], ["region_label", "metric_label", "value_label", "kind_label", "source_label", "why"],
              report.lang)''',
            '''figures.table(checked, ["region_name", "metric_label", "as_of_label", "stated_label", "derived_label",
                        "difference_label", "agrees_label", "quote"], report.lang)''',
        ],
    },
    "06_region_profile": {
        "params": COMMON + '\nregion = "Kota Batam"  # a name or Kemendagri code',
        "open": "report = open_report(snapshot=snapshot, regions=[region], lang=lang, until=until)\n"
                "region_code = report.regions[0]\nname = report.region_names[region_code]\n"
                'display(Markdown(narrative.intro("region_profile", report.lang, region=name)))',
        "cells": [
            '''profile = figures.region_profile(report, region_code)
chart = charts.profile(profile, report.lang, narrative.profile_title(profile, name, report.lang),
                       narrative.date_span(profile, report.lang))
charts.show(chart)''',
            "display(Markdown(trends.profile_note(report, region_code)))",
            '''figures.table(profile, ["metric_label", "value_label", "kind_label", "as_of_label", "source_label", "quote"],
              report.lang)''',
        ],
    },
    "07_kabupaten_kota_spread": {
        "params": COMMON + '\nmetric = "ktp_recording_pct"  # any percentage metric of `ktpel facts`',
        "open": "report = open_report(snapshot=snapshot, lang=lang, metric=metric, until=until)\n"
                'display(Markdown(narrative.intro("spread", report.lang, minimum=narrative.MIN_VALUES)))',
        "cells": [
            '''spread, coverage, sources = figures.kabupaten_kota_spread(report, report.metric)
metric_name = figures.metric_label(report, report.metric)
if not spread.empty:  # drawn only over every kabupaten/kota of one province at one date
    charts.show(charts.spread(spread, figures.targets_for(report, []), sources, report.lang,
                              narrative.spread_title(spread, metric_name, report.lang),
                              narrative.snapshot_line(report.snapshot_id, report.lang)))''',
            "display(Markdown(narrative.spread_text(spread, coverage, report.lang)))",
            '''figures.table(coverage.tail(12), ["province_name", "period_label", "coverage_label", "lo_label", "median_label",
                                 "hi_label", "drawn_label"], report.lang)''',
        ],
    },
    "08_denominators": {
        "title": "# Wajib KTP dan jumlah terekam dari waktu ke waktu\n\nThe counts behind recording coverage: wajib "
                 "KTP (the denominator) and the residents recorded (the numerator), per region over time, so a "
                 "reader sees why coverage falls (wajib KTP grown or cleaned) or passes 100 %.",
        "params": COMMON + "\n" + REGIONS,
        "open": "report = open_report(snapshot=snapshot, regions=regions, lang=lang, until=until)",
        "cells": [
            '''counts = trends.denominators(report)
chart = trends.denominators_chart(counts, report.lang, trends.denominators_title(counts, report.lang),
                                  narrative.date_span(counts, report.lang))
charts.show(chart)''',
            "display(Markdown(trends.denominators_text(counts, report.lang)))",
            '''figures.table(counts, ["region_label", "metric_label", "value_label", "as_of_label", "source_label", "quote"],
              report.lang)''',
        ],
    },
    "09_kabupaten_kota_over_time": {
        "title": "# Kabupaten/kota dari waktu ke waktu\n\nA province's kabupaten/kota compared across every date "
                 "that has their figures (stated, else derived from the same source's counts), with the province "
                 "as reference.",
        "params": COMMON + '\nprovince = "Provinsi Kalimantan Timur"  # a province name or code\n'
                  'metric = "ktp_recording_pct"  # any percentage metric of `ktpel facts`',
        "open": "report = open_report(snapshot=snapshot, regions=[province], lang=lang, metric=metric, until=until)\n"
                "province_code = report.regions[0]",
        "cells": [
            '''local, province_rows = trends.kabupaten_kota_dates(report, province_code, report.metric)
province_name = report.region_names[province_code]
chart = trends.kabupaten_kota_chart(local, province_rows, report.lang,
                                    trends.kabupaten_kota_title(local, province_name, report.lang),
                                    narrative.date_span(local, report.lang))
charts.show(chart)''',
            "display(Markdown(trends.kabupaten_kota_text(local, province_rows, report.lang)))",
            "trends.kabupaten_kota_table(local, report.lang)",
        ],
    },
}


def write(name: str, spec: dict[str, object]) -> None:
    # A notebook whose heading comes from the catalogue (narrative.intro) has no markdown title cell.
    cells = [nbformat.v4.new_markdown_cell(str(spec["title"]))] if "title" in spec else []
    cells += [nbformat.v4.new_code_cell(str(spec["params"]), metadata={"tags": ["parameters"]}),
             nbformat.v4.new_code_cell(IMPORTS + "\n\n" + str(spec["open"]))]
    cells += [nbformat.v4.new_code_cell(src) for src in spec["cells"]]  # type: ignore[union-attr]
    nb = nbformat.v4.new_notebook(cells=cells, metadata=KERNEL)
    for i, cell in enumerate(nb.cells):
        cell.id = f"{name[:2]}-{i:02d}"
    nbformat.write(nb, ROOT / "notebooks" / f"{name}.ipynb")


if __name__ == "__main__":
    import sys

    for name, spec in NOTEBOOKS.items():
        if len(sys.argv) == 1 or name in sys.argv[1:]:  # `make_notebooks.py 08_denominators` writes only that one
            write(name, spec)
