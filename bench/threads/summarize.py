"""Summarizes bench/run.sh threads' raw lines (model, configuration,
samples/s): the best of the passes per configuration, PyTorch's best
setting, and kiln's ratios against it and its own 1 -> N thread scaling."""
import sys
from collections import defaultdict

best = defaultdict(dict)
order = []
for line in sys.stdin:
    model, config, value = line.rstrip("\n").split("\t")
    if model not in best:
        order.append(model)
    v = float(value) if value else 0.0
    best[model][config] = max(v, best[model].get(config, 0.0))

print("| model | kiln, 1 thread | kiln, N threads | scaling | PyTorch: "
      "1 thread / N / N PASSIVE / 1+N BLAS | PyTorch's best | kiln N / best |")
print("|---|---|---|---|---|---|---|")
for model in order:
    r = best[model]
    k1 = next(v for c, v in r.items() if c.startswith("kiln, 1 "))
    kn_config, kn = max(((c, v) for c, v in r.items() if c.startswith("kiln")),
                        key=lambda cv: int(cv[0].split()[1]))
    torch = [(c, v) for c, v in r.items() if c.startswith("torch")]
    tbest_config, tbest = max(torch, key=lambda cv: cv[1])
    print(f"| {model} | {k1:,.0f} | {kn:,.0f} | {kn / k1:.2f}x | "
          + " / ".join(f"{v:,.0f}" for _, v in torch)
          + f" | {tbest:,.0f} ({tbest_config[7:]}) | **{kn / tbest:.2f}x** |")
