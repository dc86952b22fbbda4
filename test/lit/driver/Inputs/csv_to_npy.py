"""Writes a CSV's columns as .npy files: `csv_to_npy.py CSV OUT COLUMN...`
writes OUT with those columns (float64; one column: a 1-D array)."""
import csv
import sys

import numpy as np

src, out, names = sys.argv[1], sys.argv[2], sys.argv[3:]
rows = list(csv.DictReader(open(src)))
a = np.array([[float(r[n]) for n in names] for r in rows])
np.save(out, a[:, 0] if len(names) == 1 else a)
