#!/usr/bin/env python3
"""plot.py: turns a small CSV of benchmark figures into a grouped bar chart (SVG), so that the
docs carry the plot beside the table it comes from. Plain Python, no plotting library.

CSV columns: group,series,value   (one bar per row; groups along x, series as colours)
usage: bench/plot.py IN.csv OUT.svg --title TITLE --ylabel LABEL [--log]
"""
import argparse
import csv
import math
from xml.sax.saxutils import escape

COLOURS = ['#4c72b0', '#dd8452', '#55a868', '#c44e52', '#8172b3', '#937860']
W, H = 760, 420
LEFT, RIGHT, TOP, BOTTOM = 90, 20, 50, 90


def read(path):
    groups, series, values = [], [], {}
    with open(path, newline='') as f:
        for row in csv.DictReader(f):
            g, s, v = row['group'], row['series'], float(row['value'])
            if g not in groups:
                groups.append(g)
            if s not in series:
                series.append(s)
            values[(g, s)] = v
    return groups, series, values


def nice_max(v):
    if v <= 0:
        return 1.0
    p = 10 ** math.floor(math.log10(v))
    for m in (1, 2, 2.5, 5, 10):
        if v <= m * p:
            return m * p
    return 10 * p


def fmt(v):
    for unit, div in (('G', 1e9), ('M', 1e6), ('k', 1e3)):
        if abs(v) >= div:
            return f'{v / div:.3g}{unit}'
    return f'{v:.3g}'


def svg(groups, series, values, title, ylabel, log):
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    top = max(values.values())
    if log:
        lo = 10 ** math.floor(math.log10(max(min(v for v in values.values() if v > 0), 1e-12)))
        hi = 10 ** math.ceil(math.log10(top))
        scale = lambda v: 0 if v <= lo else (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
        ticks = [10 ** e for e in range(int(math.log10(lo)), int(math.log10(hi)) + 1)]
    else:
        hi = nice_max(top)
        scale = lambda v: v / hi
        ticks = [hi * i / 5 for i in range(6)]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{W / 2}" y="24" text-anchor="middle" font-size="15">{escape(title)}</text>',
           f'<text transform="translate(18,{TOP + plot_h / 2}) rotate(-90)" '
           f'text-anchor="middle">{escape(ylabel)}</text>']
    for t in ticks:
        y = TOP + plot_h * (1 - scale(t))
        out.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{fmt(t)}</text>')
    gw = plot_w / len(groups)
    bw = gw * 0.8 / len(series)
    for gi, g in enumerate(groups):
        x0 = LEFT + gi * gw + gw * 0.1
        for si, s in enumerate(series):
            v = values.get((g, s))
            if v is None:
                continue
            h = plot_h * scale(v)
            x = x0 + si * bw
            out.append(f'<rect x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{bw - 2:.1f}" '
                       f'height="{h:.1f}" fill="{COLOURS[si % len(COLOURS)]}"/>')
            out.append(f'<text x="{x + bw / 2 - 1:.1f}" y="{TOP + plot_h - h - 3:.1f}" '
                       f'text-anchor="middle" font-size="10">{fmt(v)}</text>')
        out.append(f'<text x="{LEFT + gi * gw + gw / 2:.1f}" y="{TOP + plot_h + 16}" '
                   f'text-anchor="middle">{escape(g)}</text>')
    out.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" stroke="black"/>')
    lx = LEFT
    for si, s in enumerate(series):
        out.append(f'<rect x="{lx}" y="{H - 34}" width="12" height="12" fill="{COLOURS[si % len(COLOURS)]}"/>')
        out.append(f'<text x="{lx + 16}" y="{H - 24}">{escape(s)}</text>')
        lx += 26 + 7 * len(s)
    out.append('</svg>')
    return '\n'.join(out) + '\n'


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('csv')
    ap.add_argument('svg')
    ap.add_argument('--title', required=True)
    ap.add_argument('--ylabel', required=True)
    ap.add_argument('--log', action='store_true', help='logarithmic y axis')
    a = ap.parse_args()
    groups, series, values = read(a.csv)
    if not values:
        raise SystemExit(f'plot.py: {a.csv}: no rows')
    with open(a.svg, 'w') as f:
        f.write(svg(groups, series, values, a.title, a.ylabel, a.log))


if __name__ == '__main__':
    main()
