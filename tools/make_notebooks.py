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
        "title": "# Perbandingan wilayah: cakupan perekaman KTP-el\n\nThe latest like-for-like KTP-el recording "
                 "coverage of each chosen region, its level and date, the national target, and the figure its "
                 "own source's counts imply where that differs.",
        "params": COMMON + "\n" + REGIONS,
        "open": "report = open_report(snapshot=snapshot, regions=regions, lang=lang, until=until)",
        "cells": [
            '''latest, totals, targets = figures.region_comparison(report)
chart = charts.region_comparison(latest, targets, report.lang, narrative.comparison_title(latest, report.lang),
                                 narrative.date_span(latest, report.lang))
charts.show(chart)''',
            "display(Markdown(narrative.comparison_text(latest, totals, report.lang)))",
            '''figures.table(latest, ["region_label", "value_label", "derived_label", "as_of_label", "source_label", "quote"],
              report.lang)''',
        ],
    },
    "02_coverage_over_time": {
        "title": "# Cakupan perekaman KTP-el dari waktu ke waktu\n\nEvery stated figure per region over time. "
                 "A figure from an undated source is marked as undated and placed at the latest date the evidence "
                 "allows, never at an invented day.",
        "params": COMMON + "\n" + REGIONS + '\nmetric = "ktp_recording_pct"  # any percentage metric of `ktpel facts`',
        "open": "report = open_report(snapshot=snapshot, regions=regions, lang=lang, metric=metric, until=until)\n"
                "unit = report.con.execute(\"SELECT unit FROM metrics WHERE metric = ?\", [report.metric]).fetchone()[0]\n"
                "if unit != \"percent\":  # the titles and axes below speak of coverage in percent\n"
                "    raise ValueError(f\"metric {metric!r} is measured in {unit}; this notebook charts percentages \"\n"
                "                     \"(e.g. ktp_recording_pct, kia_ownership_pct; see `ktpel facts`)\")",
        "cells": [
            '''series, targets = figures.coverage_over_time(report, report.metric)
chart = charts.over_time(series, targets, report.lang, narrative.over_time_title(series, report.lang),
                         narrative.date_span(series, report.lang))
charts.show(chart)''',
            "display(Markdown(narrative.over_time_text(series, report.lang)))",
            '''figures.table(series, ["region_label", "value_label", "as_of_label", "source_label", "quote"],
              report.lang)''',
        ],
    },
    "03_kabupaten_kota": {
        "title": "# Kabupaten/kota di Kalimantan Timur: tertinggi dan terendah\n\nFor recording, first-time "
                 "voters, child ID (KIA) and digital ID (IKD): the province figure, its highest and lowest "
                 "kabupaten/kota, and the national target.",
        "params": COMMON + '\nprovince = "Provinsi Kalimantan Timur"  # a province name or code',
        "open": "report = open_report(snapshot=snapshot, regions=[province], lang=lang, until=until)\n"
                "province_code = report.regions[0]",
        "cells": [
            '''extremes, targets = figures.province_extremes(report, province_code)
province_name = report.region_names[province_code]
chart = charts.province_extremes(extremes, targets, report.lang,
                                 narrative.extremes_title(extremes, province_name, report.lang),
                                 narrative.date_span(extremes, report.lang))
charts.show(chart)''',
            "display(Markdown(narrative.extremes_text(extremes, targets, report.lang)))",
            '''figures.table(extremes, ["metric_label", "role_label", "region_label", "value_label", "as_of_label", "quote"],
              report.lang)''',
        ],
    },
    "04_ikd_kia": {
        "title": "# Identitas Kependudukan Digital (IKD) dan Kartu Identitas Anak (KIA)\n\nProgress against the "
                 "national targets (IKD 30 % of wajib KTP, KIA 60 % in 2024), stated and derived from the sources' "
                 "counts.",
        "params": COMMON + "\n" + REGIONS,
        "open": "report = open_report(snapshot=snapshot, regions=regions, lang=lang, until=until)",
        "cells": [
            '''progress, targets = figures.progress_against_targets(report, ["ikd_activation_pct", "kia_ownership_pct"])
chart = charts.progress(progress, targets, report.lang, narrative.progress_title(progress, report.lang),
                        narrative.date_span(progress, report.lang))
charts.show(chart)''',
            "display(Markdown(narrative.progress_text(progress, report.lang)))",
            '''figures.table(progress, ["metric_label", "region_label", "value_label", "kind_label", "target", "as_of_label", "quote"],
              report.lang)''',
        ],
    },
    "05_data_quality": {
        "title": "# Kualitas data: angka yang tidak cocok, di atas 100 %, tanpa tanggal\n\nEvery stated figure "
                 "that can be checked against its source's own arithmetic (including Batam's blank cards), every "
                 "coverage above 100 % and why, and the sources without a publication date.",
        "params": '''snapshot = "latest"  # "latest" or a snapshot id (see `ktpel snapshots`)
lang = "id"  # "id" (Bahasa Indonesia) or "en"''',
        "open": "report = open_report(snapshot=snapshot, lang=lang)",
        "cells": [
            '''quality = figures.data_quality(report)
checked = quality["consistency"]
chart = charts.stated_vs_derived(checked, report.lang, narrative.quality_title(checked, report.lang),
                                 f"snapshot {report.snapshot_id}")
charts.show(chart)''',
            "display(Markdown(narrative.quality_text(quality, report.lang)))",
            '''figures.table(quality["over_100"], ["region_label", "metric_label", "value_label", "kind", "source_label", "why"],
              report.lang)''',
            '''figures.table(checked, ["region_name", "metric_label", "stated_label", "derived_label", "difference", "agrees", "formula", "quote"],
              report.lang)''',
        ],
    },
    "06_region_profile": {
        "title": "# Profil wilayah\n\nEvery figure about one region over time, each with its source, date and "
                 "the exact quote it comes from.",
        "params": COMMON + '\nregion = "Kota Batam"  # a name or Kemendagri code',
        "open": "report = open_report(snapshot=snapshot, regions=[region], lang=lang, until=until)\n"
                "region_code = report.regions[0]",
        "cells": [
            '''profile = figures.region_profile(report, region_code)
name = report.region_names[region_code]
chart = charts.profile(profile, report.lang, narrative.profile_title(profile, name, report.lang),
                       narrative.date_span(profile, report.lang))
charts.show(chart)''',
            "display(Markdown(trends.profile_note(report, region_code)))",
            '''figures.table(profile, ["metric_label", "value_label", "kind", "as_of_label", "source_label", "quote"],
              report.lang)''',
        ],
    },
    "07_kabupaten_kota_spread": {
        "title": "# Sebaran kabupaten/kota dari bulan ke bulan\n\nHow a metric is spread over every kabupaten/kota "
                 "of the snapshot, month by month: the median, the middle 80 % and the extremes, from the curated "
                 "facts and any bulk table (aggregated in DuckDB, so the notebook stays small at national scale).",
        "params": COMMON + '\nmetric = "ktp_recording_pct"  # any percentage metric of `ktpel facts`',
        "open": "report = open_report(snapshot=snapshot, lang=lang, metric=metric, until=until)",
        "cells": [
            '''spread, targets, sources = figures.kabupaten_kota_spread(report, report.metric)
chart = charts.spread(spread, targets, sources, report.lang, narrative.spread_title(spread, report.lang),
                      f"snapshot {report.snapshot_id}")
charts.show(chart)''',
            "display(Markdown(narrative.spread_text(spread, report.lang)))",
            '''figures.table(spread.tail(12), ["period_label", "n", "lo_label", "median_label", "hi_label"], report.lang)''',
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
    cells = [nbformat.v4.new_markdown_cell(str(spec["title"])),
             nbformat.v4.new_code_cell(str(spec["params"]), metadata={"tags": ["parameters"]}),
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
