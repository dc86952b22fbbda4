"""Checks a plot of `train --plot` / `plot`: an SVG that parses, with one
marker per epoch in each series named on the command line, and the best
epoch marked when one is given.

    check_svg.py SVG EPOCHS BEST SERIES...

EPOCHS: a number, or a metrics file (its rows). BEST: '-' (no mark), a
number, 'restored:FILE' (the epoch `train` restored, from its output) or
'val:FILE' (the best val_<metric> of a metrics file, the first of ties)."""
import csv
import re
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"


def epochs_of(arg):
    return int(arg) if arg.isdigit() else len(list(csv.DictReader(open(arg))))


def best_of(arg):
    if arg == "-" or arg.isdigit():
        return arg
    kind, path = arg.split(":", 1)
    if kind == "restored":
        return re.search(r"restored the state of epoch (\d+)",
                         open(path).read())[1]
    rows = list(csv.DictReader(open(path)))
    metric = [k for k in rows[0] if k.startswith("val_") and k != "val_loss"][0]
    higher = metric in ("val_accuracy", "val_r2")
    best = None
    for r in rows:
        v = float(r[metric])
        if best is None or (v > best[0] if higher else v < best[0]):
            best = (v, r["epoch"])
    return best[1]


path, epochs, best = sys.argv[1], epochs_of(sys.argv[2]), best_of(sys.argv[3])
names = sys.argv[4:]
root = ET.parse(path).getroot()
assert root.tag == NS + "svg", root.tag
series = {g.get("class").split()[1]: g for g in root.iter(NS + "g")
          if g.get("class", "").startswith("series ")}
assert sorted(series) == sorted(names), sorted(series)
for name, g in series.items():
    points = g.findall(NS + "circle")
    assert len(points) == epochs, (name, len(points))
    assert len(g.find(NS + "polyline").get("points").split()) == epochs
marks = [g.find(NS + "text").text for g in root.iter(NS + "g")
         if g.get("class") == "best"]
assert marks == ([] if best == "-" else ["best epoch " + best]), marks
print("ok", epochs, "epochs", ", ".join(sorted(series)), marks)
