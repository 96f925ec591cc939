"""Charts drawn on the server as SVG, from the same rows as an exhibit table: no script needed."""

import math

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from cms.blocks import parse_number

WIDTH, HEIGHT = 640, 340
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 64
LEGEND_ROW = 20  # px between two rows of the legend
LEGEND_CHARACTER = 6.8  # px: a generous width of one character of the legend (12 px sans-serif)


def _legend_places(names: list[str]) -> list[tuple[float, int]]:
    """(x, row) of each legend entry: left to right, onto the next row rather than off the chart."""
    places, x, row = [], float(LEFT), 0
    for name in names:
        width = 18 + len(name) * LEGEND_CHARACTER
        if x > LEFT and x + width > WIDTH - RIGHT:
            x, row = float(LEFT), row + 1
        places.append((x, row))
        x += width + 24
    return places


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    exponent = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exponent:
            return step * exponent
    return 10 * exponent


def _n(value: float) -> str:
    return f"{value:.1f}"


def _fmt(value: float) -> str:
    text = f"{value:,.1f}".replace(",", "\u202f").replace(".", ",")
    return text[:-2] if text.endswith(",0") else text


def chart_svg(*, rows: list[list[str]], kind: str, title: str) -> SafeString:
    """An SVG bar or line chart of `rows` (headers first; labels in column 1, numbers after)."""
    if kind not in {"bar", "line"} or len(rows) < 2 or len(rows[0]) < 2:
        return mark_safe("")
    headers, body = rows[0], rows[1:]
    labels = [row[0] for row in body]
    series = [
        (headers[col], [parse_number(row[col]) if col < len(row) else None for row in body])
        for col in range(1, len(headers))
    ]
    values = [v for _name, points in series for v in points if v is not None]
    if not values:
        return mark_safe("")
    low = min(0.0, min(values))
    high = _nice_max(max(values))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y(value: float) -> float:
        return TOP + plot_h - (value - low) / (high - low or 1) * plot_h

    band = plot_w / len(labels)
    grid = []
    for step in range(5):
        value = low + (high - low) * step / 4
        grid.append(
            format_html(
                '<line class="chart__grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
                '<text class="chart__tick" x="{}" y="{}" text-anchor="end">{}</text>',
                LEFT, WIDTH - RIGHT, _n(y(value)), _n(y(value)), LEFT - 6, _n(y(value) + 4), _fmt(value),
            )
        )
    marks = []
    if kind == "bar":
        bar_w = band * 0.8 / len(series)
        for s_index, (name, points) in enumerate(series):
            for index, value in enumerate(points):
                if value is None:
                    continue
                x = LEFT + index * band + band * 0.1 + s_index * bar_w
                top, base = y(max(value, 0)), y(min(value, 0))
                marks.append(
                    format_html(
                        '<rect class="chart__series chart__series--{}" x="{}" y="{}" width="{}" '
                        'height="{}"><title>{} — {} : {}</title></rect>',
                        s_index % 5 + 1, _n(x), _n(top), _n(max(bar_w - 2, 1)), _n(max(base - top, 0.5)),
                        labels[index], name, _fmt(value),
                    )
                )
    else:
        for s_index, (name, points) in enumerate(series):
            coords = [
                (index, value, LEFT + index * band + band / 2, y(value))
                for index, value in enumerate(points) if value is not None
            ]
            marks.append(
                format_html(
                    '<polyline class="chart__line chart__line--{}" points="{}"/>',
                    s_index % 5 + 1, " ".join(f"{cx:.1f},{cy:.1f}" for _i, _v, cx, cy in coords),
                )
            )
            marks.extend(
                format_html(
                    '<circle class="chart__series chart__series--{}" cx="{}" cy="{}" r="4">'
                    "<title>{} — {} : {}</title></circle>",
                    s_index % 5 + 1, _n(cx), _n(cy), labels[index], name, _fmt(value),
                )
                for index, value, cx, cy in coords
            )
    axis_labels = format_html_join(
        "",
        '<text class="chart__label" x="{}" y="{}" text-anchor="middle">{}</text>',
        ((_n(LEFT + index * band + band / 2), HEIGHT - BOTTOM + 18, label) for index, label in enumerate(labels)),
    )
    places = _legend_places([name for name, _points in series])
    legend = format_html_join(
        "",
        '<rect class="chart__series chart__series--{}" x="{}" y="{}" width="12" height="12"/>'
        '<text class="chart__legend" x="{}" y="{}">{}</text>',
        (
            (index % 5 + 1, _n(x), HEIGHT - 24 + row * LEGEND_ROW, _n(x + 18), HEIGHT - 13 + row * LEGEND_ROW, name)
            for index, ((name, _points), (x, row)) in enumerate(zip(series, places, strict=True))
        ),
    )
    height = HEIGHT + places[-1][1] * LEGEND_ROW
    summary = _("Graphique : %(title)s. %(series)s selon %(axis)s.") % {
        "title": title, "series": ", ".join(name for name, _points in series), "axis": headers[0],
    }
    return format_html(
        '<svg class="chart chart--{}" viewBox="0 0 {} {}" role="img" aria-label="{}" '
        'xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}'
        '<line class="chart__axis" x1="{}" x2="{}" y1="{}" y2="{}"/>{}{}{}</svg>',
        kind, WIDTH, height, summary, summary, mark_safe("".join(grid)),
        LEFT, WIDTH - RIGHT, _n(y(max(low, 0))), _n(y(max(low, 0))), mark_safe("".join(marks)), axis_labels, legend,
    )


ROW_LABEL_WIDTH = 210  # px kept on the left of a horizontal chart for the row labels
BAR_ROW = 14  # px: the thickness of one bar of a horizontal chart


def horizontal_bars_svg(*, labels: list[str], series: list[tuple[str, list]], title: str,
                        low: float | None = None, high: float | None = None) -> SafeString:
    """An SVG chart with one row per label (long labels stay legible) and one bar per series in each
    row; `None` values leave a gap. `low`/`high` fix the scale (a 1–4 self-assessment scale), else
    it runs from 0 (or the lowest negative value) to a round maximum."""
    values = [v for _name, points in series for v in points if v is not None]
    if not labels or not values:
        return mark_safe("")
    low = min(0.0, min(values)) if low is None else low
    high = _nice_max(max(values)) if high is None else high
    left, right, top = ROW_LABEL_WIDTH, RIGHT + 8, TOP
    plot_w = WIDTH - left - right
    row_h = BAR_ROW * len(series) + 12
    plot_h = row_h * len(labels)

    def x(value: float) -> float:
        return left + (value - low) / (high - low or 1) * plot_w

    ticks = 4 if high - low not in (3, 6) else int(high - low)
    grid = format_html_join("", '<line class="chart__grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
                            '<text class="chart__tick" x="{}" y="{}" text-anchor="middle">{}</text>', (
        (_n(x(v)), _n(x(v)), top, top + plot_h, _n(x(v)), top + plot_h + 16, _fmt(v))
        for v in (low + (high - low) * step / ticks for step in range(ticks + 1))
    ))
    marks, names = [], []
    for row, label in enumerate(labels):
        y0 = top + row * row_h + 6
        names.append(format_html('<text class="chart__label" x="{}" y="{}" text-anchor="end">{}</text>',
                                 left - 8, _n(y0 + BAR_ROW * len(series) / 2 + 4), label))
        for index, (name, points) in enumerate(series):
            value = points[row]
            if value is None:
                continue
            start, end = sorted((x(max(low, 0.0) if low < 0 else low), x(value)))
            marks.append(format_html(
                '<rect class="chart__series chart__series--{}" x="{}" y="{}" width="{}" height="{}">'
                "<title>{} — {} : {}</title></rect>",
                index % 5 + 1, _n(start), _n(y0 + index * BAR_ROW), _n(max(end - start, 1.5)), BAR_ROW - 2,
                label, name, _fmt(value),
            ))
    legend_y = top + plot_h + 34
    places = _legend_places([name for name, _points in series])
    legend = format_html_join("", '<rect class="chart__series chart__series--{}" x="{}" y="{}" width="12" height="12"/>'
                              '<text class="chart__legend" x="{}" y="{}">{}</text>', (
        (index % 5 + 1, _n(px), legend_y + line * LEGEND_ROW, _n(px + 18), legend_y + 11 + line * LEGEND_ROW, name)
        for index, ((name, _points), (px, line)) in enumerate(zip(series, places, strict=True))
    ))
    height = legend_y + (places[-1][1] + 1) * LEGEND_ROW + 4
    summary = _("Graphique : %(title)s. %(series)s, par %(rows)s.") % {
        "title": title, "series": ", ".join(name for name, _points in series), "rows": ", ".join(labels),
    }
    return format_html(
        '<svg class="chart chart--hbar" viewBox="0 0 {} {}" role="img" aria-label="{}" '
        'xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}{}'
        '<line class="chart__axis" x1="{}" x2="{}" y1="{}" y2="{}"/>{}{}</svg>',
        WIDTH, height, summary, summary, grid, mark_safe("".join(marks)),
        _n(x(max(low, 0.0) if low < 0 else low)), _n(x(max(low, 0.0) if low < 0 else low)), top, top + plot_h,
        mark_safe("".join(names)), legend,
    )
