"""The prediction benchmark's models in PyTorch: latency per call of the
same network as the kiln spec of the same name, in eval mode and ending in
softmax (kiln's predict returns class probabilities), random weights, on
1, 2, 8, 64 and 256 rows of random inputs, in three modes:
  torch-eager   the module under torch.no_grad()
  torch-freeze  torch.jit.freeze(torch.jit.trace(module))
  torch-ofi     torch.jit.optimize_for_inference(torch.jit.script(module))
Each (mode, row count) gets its own compiled module, a warm-up, then N calls
timed one by one (N so it takes about --seconds, at least 200); prints the
median and the 99th percentile per call (Python's garbage collector off
while timing), as bench_predict.c does:
  mode <TAB> model <TAB> threads <TAB> rows <TAB> median_us <TAB> p99_us
Debian's python3-torch; run with /usr/bin/python3. The BLAS thread count
is OPENBLAS_NUM_THREADS in the environment (torch.set_num_threads does not
reach Debian's OpenBLAS); bench/run.sh predict also fixes glibc's malloc
thresholds in it (its run_predict says why)."""
import argparse
import gc
import time

import torch
import torch.nn as nn

ROWS = [1, 2, 8, 64, 256]


def predict_mnist():  # bench/predict/predict_mnist.kiln
    return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10),
                         nn.Softmax(dim=1))


def mlp_bn_gelu():  # bench/threads/mlp_bn_gelu.kiln
    return nn.Sequential(
        nn.Linear(784, 512), nn.BatchNorm1d(512), nn.GELU(), nn.Dropout(0.2),
        nn.Linear(512, 512), nn.GELU(), nn.Dropout(0.2),
        nn.Linear(512, 10), nn.Softmax(dim=1))


MODELS = {"predict_mnist": predict_mnist, "mlp_bn_gelu": mlp_bn_gelu}

MODES = {
    "torch-eager": lambda m, x: m,
    "torch-freeze": lambda m, x: torch.jit.freeze(torch.jit.trace(m, x)),
    "torch-ofi":
        lambda m, x: torch.jit.optimize_for_inference(torch.jit.script(m)),
}


def latency(f, x, seconds):
    """Median and 99th percentile of f(x) in microseconds."""
    t0 = time.perf_counter()
    warm = 0
    while warm < 10 or time.perf_counter() - t0 < 0.1 * seconds:
        f(x)
        warm += 1
    n = max(200, int(seconds * warm / (time.perf_counter() - t0)))
    times = [0] * n
    gc.disable()  # as timeit does: no collection inside a timed call
    for i in range(n):
        s = time.perf_counter_ns()
        f(x)
        times[i] = time.perf_counter_ns() - s
    gc.enable()
    times.sort()
    return times[n // 2] / 1e3, times[-(-99 * n // 100) - 1] / 1e3


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model", choices=MODELS)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=1.0,
                        help="about how long each row count is timed")
    parser.add_argument("--rows", type=int, nargs="+", default=ROWS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    model = MODELS[args.model]().eval()
    with torch.no_grad():
        for mode, compile_ in MODES.items():
            for rows in args.rows:
                x = torch.rand(rows, 784) - 0.5
                f = compile_(model, x)
                p = f(x)
                assert torch.allclose(p.sum(1), torch.ones(rows), atol=1e-3)
                median, p99 = latency(f, x, args.seconds)
                print(f"{mode}\t{args.model}\t{args.threads}\t{rows}\t"
                      f"{median:.2f}\t{p99:.2f}", flush=True)


if __name__ == "__main__":
    main()
