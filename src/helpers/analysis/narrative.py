"""Chart titles that state the finding, and a few sentences of narrative, written
from the data in the report's language (never typed into a notebook)."""

from __future__ import annotations

import pandas as pd

from helpers.i18n import Lang, format_date, word
from helpers.raw.numbers import format_percent


def _pct(value: float, lang: Lang, decimals: int = 2) -> str:
    return format_percent(value, lang, decimals)


def _join(items: list[str], lang: Lang) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + (" dan " if lang == "id" else " and ") + items[-1]


def comparison_title(latest: pd.DataFrame, lang: Lang) -> str:
    if latest.empty:
        return "Tidak ada angka perekaman" if lang == "id" else "No recording figures"
    low = latest.loc[latest["value"].idxmin()]
    value = format_percent(low["value"], lang, int(low["decimals"]))
    return (f"Semua wilayah terpilih sudah merekam KTP-el ≥ {value} dari wajib KTP" if lang == "id"
            else f"Every chosen region has recorded KTP-el for ≥ {value} of wajib KTP")


def comparison_text(latest: pd.DataFrame, totals: pd.DataFrame, lang: Lang) -> str:
    parts, notes = [], []
    for _, r in latest.iterrows():
        parts.append(f"**{r['region_label']}** {r['value_label']} ({r['as_of_label']})")
        if pd.notna(r["derived_value"]) and abs(r["derived_value"] - r["value"]) > 10 ** -int(r["decimals"]):
            notes.append((f"Untuk {r['region_name']}, angka sumber itu sendiri ({r['derived_formula']}) menghasilkan "
                          f"{_pct(r['derived_value'], lang)}, bukan {r['value_label']}: keduanya ditampilkan.")
                         if lang == "id" else
                         (f"For {r['region_name']}, the source's own counts ({r['derived_formula']}) give "
                          f"{_pct(r['derived_value'], lang)}, not {r['value_label']}: both are shown."))
    for _, t in totals.iterrows():
        notes.append((f"{t['region_name']} juga menyebut total {t['value_label']} yang memasukkan perekaman dini "
                      "penduduk belum wajib KTP; itu ukuran lain, jadi tidak dibandingkan di sini.") if lang == "id" else
                     (f"{t['region_name']} also states a total of {t['value_label']} that includes pre-recording of "
                      "residents not yet required to hold a KTP; that is another measure, so it is not compared here."))
    head = ("Cakupan perekaman KTP-el terbaru per wilayah: " if lang == "id"
            else "Latest KTP-el recording coverage per region: ")
    return head + _join(parts, lang) + ".\n\n" + " ".join(notes)


def over_time_title(df: pd.DataFrame, lang: Lang) -> str:
    dated = df[~df["undated"]]
    if dated.empty:
        return "Tidak ada angka bertanggal" if lang == "id" else "No dated figures"
    grew = []
    for name, g in dated.sort_values("plot_date").groupby("region_name", sort=False):
        if len(g) > 1:
            grew.append(f"{name} {g['value_label'].iloc[0]} → {g['value_label'].iloc[-1]}")
    if grew:
        return ("Perekaman KTP-el naik: " if lang == "id" else "KTP-el recording rose: ") + "; ".join(grew)
    return "Perekaman KTP-el per wilayah dari waktu ke waktu" if lang == "id" else "KTP-el recording per region over time"


def over_time_text(df: pd.DataFrame, lang: Lang) -> str:
    lines = []
    for name, g in df.sort_values("plot_date").groupby("region_name", sort=False):
        points = ", ".join(f"{v} ({a})" for v, a in zip(g["value_label"], g["as_of_label"]))
        lines.append(f"- **{name}**: {points}")
    undated = df[df["undated"]]
    note = ""
    if not undated.empty:
        note = ("\n\nTitik berbentuk belah ketupat kosong berasal dari sumber tanpa tanggal; ia diletakkan pada batas "
                "paling akhir yang dimungkinkan bukti (lihat catatan sumber), bukan pada tanggal sebenarnya."
                if lang == "id" else
                "\n\nThe hollow diamond comes from an undated source; it is placed at the latest date the evidence "
                "allows (see the source notes), not at a real date.")
    return "\n".join(lines) + note


def extremes_title(df: pd.DataFrame, province_name: str, lang: Lang) -> str:
    spread = df[df["role"] != "province"].groupby("metric_label")["value"].agg(lambda v: v.max() - v.min())
    if spread.empty:
        return province_name
    widest = spread.idxmax()
    gap = format_percent(spread.max(), lang, 2).replace(" %", "").replace("%", "")
    return (f"{province_name}: jarak antar kabupaten/kota terbesar pada {widest} ({gap} poin)" if lang == "id"
            else f"{province_name}: the widest gap between regencies/cities is in {widest} ({gap} points)")


def extremes_text(df: pd.DataFrame, target_rows: pd.DataFrame, lang: Lang) -> str:
    targets = dict(zip(target_rows["metric_label"], target_rows["value"]))
    lines = []
    for metric, g in df.groupby("metric_label", sort=False):
        by_role = {r: g[g["role"] == r].iloc[0] for r in ("province", "highest", "lowest") if (g["role"] == r).any()}
        bits = []
        if "province" in by_role:
            bits.append(f"{word('province', lang)} {by_role['province']['value_label']}")
        for role in ("highest", "lowest"):
            if role in by_role:
                bits.append(f"{word(role, lang)} {by_role[role]['region_name']} {by_role[role]['value_label']}")
        if metric in targets:
            bits.append(f"{word('target', lang)} {_pct(targets[metric], lang, 0)}")
        lines.append(f"- **{metric}**: " + "; ".join(bits))
    return "\n".join(lines)


def progress_title(df: pd.DataFrame, lang: Lang) -> str:
    below = df[df["target"].notna() & (df["value"] < df["target"])]
    above = df[df["target"].notna() & (df["value"] >= df["target"])]
    parts = []
    if not above.empty:
        parts.append(("Tercapai: " if lang == "id" else "Met: ") + ", ".join(sorted(set(above["metric_label"]))))
    if not below.empty:
        parts.append(("Belum tercapai: " if lang == "id" else "Not met: ") + ", ".join(sorted(set(below["metric_label"]))))
    return " · ".join(parts) or ("IKD dan KIA" if lang == "id" else "IKD and KIA")


def progress_text(df: pd.DataFrame, lang: Lang) -> str:
    lines = []
    for _, r in df.iterrows():
        target = "" if pd.isna(r["target"]) else f" ({word('target', lang)} {_pct(r['target'], lang, 0)})"
        how = "" if r["kind"] == "stated" else f" — {word('derived', lang)}: {r['formula']}"
        lines.append(f"- {r['metric_label']}, {r['region_name']}, {r['as_of_label']}: **{r['value_label']}**{target}{how}")
    return "\n".join(lines) or ("Tidak ada angka IKD/KIA untuk wilayah terpilih." if lang == "id"
                                else "No IKD/KIA figures for the chosen regions.")


def quality_title(consistency: pd.DataFrame, lang: Lang) -> str:
    bad = int((~consistency["agrees"]).sum())
    return (f"{bad} dari {len(consistency)} angka yang dapat diperiksa tidak cocok dengan hitungan sumbernya sendiri"
            if lang == "id" else
            f"{bad} of {len(consistency)} checkable figures disagree with their source's own arithmetic")


def quality_text(q: dict[str, pd.DataFrame], lang: Lang) -> str:
    lines = []
    for _, r in q["consistency"].iterrows():
        mark = "✔" if r["agrees"] else "✘"
        lines.append(f"- {mark} {r['region_name']}, {r['metric_label']}: {word('stated', lang)} {r['stated_label']}; "
                     f"{r['formula']} = {r['derived_label']}")
    over = [f"- {r['region_label']}: {r['value_label']} ({word(r['kind'], lang)}) — {r['why']}"
            for _, r in q["over_100"].iterrows()]
    undated = [f"- {r['title']}: {r['date_label']}" for _, r in q["undated_sources"].iterrows()]
    head = (("**Dinyatakan vs dihitung**", "**Cakupan di atas 100 %**", "**Sumber tanpa tanggal terbit**") if lang == "id"
            else ("**Stated vs derived**", "**Coverage above 100 %**", "**Sources without a publication date**"))
    return "\n\n".join(f"{h}\n\n" + "\n".join(body) for h, body in zip(head, (lines, over, undated)) if body)


def profile_title(df: pd.DataFrame, region_name: str, lang: Lang) -> str:
    n_sources = df["source_id"].nunique()
    return (f"{region_name}: {len(df)} angka dari {n_sources} sumber" if lang == "id"
            else f"{region_name}: {len(df)} figures from {n_sources} source(s)")


def date_span(df: pd.DataFrame, lang: Lang) -> str:
    dated = df[df["as_of"].notna()].sort_values("as_of")
    if dated.empty:
        return word("undated", lang)
    first, last = dated.iloc[0], dated.iloc[-1]
    return (f"{format_date(pd.Timestamp(first['as_of']).date(), first['as_of_precision'], lang)} – "
            f"{format_date(pd.Timestamp(last['as_of']).date(), last['as_of_precision'], lang)}")


def spread_title(df: pd.DataFrame, lang: Lang) -> str:
    if df.empty:
        return "Belum ada angka kabupaten/kota" if lang == "id" else "No kabupaten/kota figures yet"
    last = df.iloc[-1]
    return (f"Median kabupaten/kota {_pct(last['median'], lang)} ({last['period_label']}, {int(last['n'])} wilayah)"
            if lang == "id" else
            f"Median kabupaten/kota at {_pct(last['median'], lang)} ({last['period_label']}, {int(last['n'])} regions)")


def spread_text(df: pd.DataFrame, lang: Lang) -> str:
    if df.empty:
        return "Snapshot ini belum memuat angka kabupaten/kota untuk indikator ini." if lang == "id" else \
            "This snapshot has no kabupaten/kota figures for this indicator yet."
    last, regions = df.iloc[-1], int(df["n"].max())
    if lang == "id":
        return (f"{len(df)} bulan dengan angka dari hingga {regions} kabupaten/kota. Pada {last['period_label']} "
                f"nilainya berkisar {_pct(last['lo'], lang)} – {_pct(last['hi'], lang)}; separuh kabupaten/kota "
                f"di bawah {_pct(last['median'], lang)}.")
    return (f"{len(df)} month(s) with figures from up to {regions} kabupaten/kota. In {last['period_label']} "
            f"they range from {_pct(last['lo'], lang)} to {_pct(last['hi'], lang)}; half are below "
            f"{_pct(last['median'], lang)}.")
