"""The fusion benchmark's table, from the raw records bench/run.sh writes:

  config MODEL I NAME STEP_READ STEP_WRITTEN PREDICT_READ PREDICT_WRITTEN SAME
  time   MODEL I PASS STEP_US PREDICT_US

A ratio is the median over passes of the configuration's time over "all on"
in the same pass: the passes run the configurations back to back, so a load
that drifts over minutes cancels in the pair, which a ratio of best times
across the whole run does not do. SAME is 1 when the configuration compiled
to the same object file as "all on" (the switch changes nothing in that
model); its ratio then shows the noise of the machine, nothing else.
"""
import statistics
import sys
from collections import defaultdict


def main():
    configs = defaultdict(dict)
    times = defaultdict(lambda: defaultdict(dict))
    for line in sys.stdin:
        f = line.rstrip("\n").split("\t")
        if f[0] == "config":
            configs[f[1]][int(f[2])] = (f[3], *map(int, f[4:8]), f[8] == "1")
        elif f[0] == "time":
            times[f[1]][int(f[3])][int(f[2])] = (float(f[4]), float(f[5]))
    for model, cfgs in configs.items():
        print(f"== {model} ({len(times[model])} passes)")
        print(f"{'config':<33} {'us/step':>9} {'ratio':>6} {'predict us':>11} {'ratio':>6}"
              f" {'step MB r+w':>12} {'predict MB r+w':>15}")
        passes = times[model].values()
        for i, (name, sr, sw, pr, pw, same) in sorted(cfgs.items()):
            step = min(p[i][0] for p in passes)
            pred = min(p[i][1] for p in passes)
            step_ratio = statistics.median(p[i][0] / p[0][0] for p in passes)
            pred_ratio = statistics.median(p[i][1] / p[0][1] for p in passes)
            label = name + (" (same code)" if same and i else "")
            print(f"{label:<33} {step:>9.1f} {step_ratio:>6.2f} {pred:>11.1f} {pred_ratio:>6.2f}"
                  f" {(sr + sw) / 1e6:>12.2f} {(pr + pw) / 1e6:>15.2f}")


if __name__ == "__main__":
    main()
