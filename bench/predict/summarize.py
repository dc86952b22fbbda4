"""Summarizes `bench/run.sh predict`: reads from stdin the lines of every
run of bench_predict.c and torch_predict.py
  side <TAB> model <TAB> threads <TAB> rows <TAB> median_us <TAB> p99_us
(side kiln, torch-eager, torch-freeze or torch-ofi; of several passes of a
configuration the one with the lowest median counts), bound.c's lines
  bound <TAB> model <TAB> weight_bytes <TAB> read_GB/s
and bench/threads/peak.c's "FP32 FMA peak, N thread(s), ...: G GFLOP/s",
and prints a markdown table per model and row count: kiln and PyTorch's
fastest mode at 1 thread, median / p99 per call, PyTorch / kiln; kiln and
PyTorch's fastest mode at 2 threads (PyTorch with OPENBLAS_NUM_THREADS=2
too) and PyTorch's best on the 2 cores (1 or 2 threads) / kiln's 2 threads;
and the physical bound on 1 core: the larger of the weights' bytes at the
read bandwidth and 2 x weights x rows FLOPs at the FMA peak."""
import re
import sys

NAMES = {
    "predict_mnist": "784-128-10, ReLU (batch 64)",
    "mlp_bn_gelu": "784-512-512-10, BN + GELU + dropout (batch 128)",
}
PEAK = re.compile(r"FP32 FMA peak, (\d+) threads?.*: ([\d.]+) GFLOP/s")


def us(v):
    return f"{v:.1f}" if v < 100 else f"{v:.0f}"


def read(lines):
    """runs: (side, model, threads, rows) -> (median, p99); bounds: model ->
    (weight bytes, GB/s); peaks: threads -> GFLOP/s."""
    runs, bounds, peaks = {}, {}, {}
    for line in lines:
        f = line.rstrip("\n").split("\t")
        peak = PEAK.match(line)
        if peak:
            peaks[int(peak[1])] = float(peak[2])
        elif f[0] == "bound" and len(f) == 4:
            bounds[f[1]] = (int(f[2]), float(f[3]))
        elif len(f) == 6 and (f[0] == "kiln" or f[0].startswith("torch-")):
            key = (f[0], f[1], int(f[2]), int(f[3]))
            sample = (float(f[4]), float(f[5]))
            runs[key] = min(runs.get(key, sample), sample)
        elif line.strip():
            sys.exit(f"summarize.py: unexpected line: {line!r}")
    return runs, bounds, peaks


def main():
    runs, bounds, peaks = read(sys.stdin)

    def kiln(*key):  # (model, threads, rows) -> (median, p99) or None
        return runs.get(("kiln", *key))

    def torch(*key):  # the fastest mode: (median, p99, mode) or None
        found = [(*v, k[0][len("torch-"):]) for k, v in runs.items()
                 if k[0].startswith("torch-") and k[1:] == key]
        return min(found, default=None)

    def cell(v):
        if not v:
            return "–"
        return f"{us(v[0])} / {us(v[1])}" + (f" ({v[2]})" if len(v) > 2 else "")

    def ratio(a, b):
        return f"**{a[0] / b[0]:.2f}×**" if a and b else "–"

    def bound(model, rows):
        if model not in bounds or 1 not in peaks:
            return "–"
        nbytes, gbs = bounds[model]
        mem = nbytes / gbs * 1e-3
        flop = 2 * nbytes / 4 * rows / peaks[1] * 1e-3
        return f"{us(mem)} (bytes)" if mem >= flop else f"{us(flop)} (FLOPs)"

    print("| model | rows | kiln, 1 thread | PyTorch's best, 1 thread | "
          "PyTorch / kiln | kiln, 2 threads | PyTorch's best, 2 threads | "
          "PyTorch on 2 cores / kiln 2 threads | bound, 1 core |")
    print("|---|---|---|---|---|---|---|---|---|")
    for model in (m for m in NAMES if any(k[1] == m for k in runs)):
        rows_seen = sorted({k[3] for k in runs if k[1] == model})
        for i, rows in enumerate(rows_seen):
            k1, t1 = kiln(model, 1, rows), torch(model, 1, rows)
            k2, t2 = kiln(model, 2, rows), torch(model, 2, rows)
            best = min((t for t in (t1, t2) if t), default=None)
            print(f"| {NAMES[model] if i == 0 else ''} | {rows} | {cell(k1)} | "
                  f"{cell(t1)} | {ratio(t1, k1)} | {cell(k2)} | {cell(t2)} | "
                  f"{ratio(best, k2)} | {bound(model, rows)} |")
    print()
    print("Median / p99 per call in µs. Bound: "
          + "; ".join(f"{NAMES[m].split(',')[0]}: {b / 1e6:.2f} MB of "
                      f"weights read at {g:.0f} GB/s"
                      for m, (b, g) in bounds.items() if m in NAMES)
          + "; FMA peak "
          + ", ".join(f"{g:.0f} GFLOP/s on {t} thread{'s' if t > 1 else ''}"
                      for t, g in sorted(peaks.items())) + ".")


if __name__ == "__main__":
    main()
