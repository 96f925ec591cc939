"""The server-drawn SVG charts of exhibit tables."""

import re

from cms.charts import LEGEND_CHARACTER, RIGHT, WIDTH, chart_svg, horizontal_bars_svg

ROWS = [
    ["Trimestre", "Réhospitalisés à 30 j", "Lettre de liaison à J0", "Revus sous 7 j", "Sortis vendredi soir"],
    ["T1 2025", "16,8", "64", "41", "22"],
    ["T2 2025", "17,5", "61", "38", "27"],
]


def test_a_long_legend_flows_onto_a_second_row_inside_the_chart():
    svg = str(chart_svg(rows=ROWS, kind="line", title="Sorties"))
    entries = re.findall(r'<text class="chart__legend" x="([\d.]+)" y="([\d.]+)">([^<]+)</text>', svg)
    assert [name for _x, _y, name in entries] == ROWS[0][1:]
    for x, _y, name in entries:
        assert float(x) + len(name) * LEGEND_CHARACTER <= WIDTH - RIGHT, name
    rows = sorted({float(y) for _x, y, _name in entries})
    assert len(rows) == 2
    height = float(re.search(r'viewBox="0 0 \d+ ([\d.]+)"', svg).group(1))
    assert rows[-1] < height


def test_a_horizontal_chart_draws_one_row_per_label_and_leaves_a_gap_for_a_missing_value():
    svg = str(horizontal_bars_svg(
        labels=["Coopération", "Gestion des parcours patients"],
        series=[("Avant", [1, 2]), ("À la fin", [3, None])], title="Mon profil", low=0, high=4,
    ))
    assert svg.startswith('<svg class="chart chart--hbar"') and 'aria-label="Graphique : Mon profil.' in svg
    assert svg.count("<rect class=\"chart__series") == 3 + 2  # three bars, two legend keys
    assert "Coopération — À la fin : 3" in svg and "Gestion des parcours patients — À la fin" not in svg
    assert 'text-anchor="end">Gestion des parcours patients</text>' in svg


def test_a_horizontal_chart_escapes_labels_and_draws_nothing_without_values():
    svg = str(horizontal_bars_svg(labels=["<script>"], series=[("A", [1])], title="t"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert str(horizontal_bars_svg(labels=["x"], series=[("A", [None])], title="t")) == ""
