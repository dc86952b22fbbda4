"""The threads benchmark's models in PyTorch: samples/s of the same training
step as the kiln spec of the same name (forward, loss, backward, optimizer)
on random data cycled over 16 batches, on the thread count given. Debian's
python3-torch; run with /usr/bin/python3. The BLAS thread count is
OPENBLAS_NUM_THREADS in the environment (torch.set_num_threads does not
reach Debian's OpenBLAS)."""
import argparse
import time

import torch
import torch.nn as nn


def mlp(widths, hidden):
    """Linear layers of the given widths, `hidden(width)` after each but the
    last."""
    layers = []
    for i, (a, b) in enumerate(zip(widths, widths[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(widths) - 2:
            layers.extend(hidden(i, b))
    return nn.Sequential(*layers)


def bn_gelu(i, width):
    if i == 0:
        return [nn.BatchNorm1d(width), nn.GELU(), nn.Dropout(0.2)]
    return [nn.GELU(), nn.Dropout(0.2)]


# name: (model, batch, classes or None for regression, optimizer, loss)
MODELS = {
    "mlp_tiny": (lambda: mlp([64, 32, 10], lambda i, w: [nn.ReLU()]), 32, 10,
                 lambda p: torch.optim.Adam(p, lr=1e-3), nn.CrossEntropyLoss()),
    "mlp_small": (lambda: mlp([784, 128, 10], lambda i, w: [nn.ReLU()]), 64, 10,
                  lambda p: torch.optim.Adam(p, lr=1e-3), nn.CrossEntropyLoss()),
    "mlp_bn_gelu": (lambda: mlp([784, 512, 512, 10], bn_gelu), 128, 10,
                    lambda p: torch.optim.Adam(p, lr=1e-3),
                    nn.CrossEntropyLoss(label_smoothing=0.1)),
    "mlp_wide": (lambda: mlp([1024, 2048, 2048, 1024], lambda i, w: [nn.ReLU()]),
                 256, None, lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9),
                 nn.MSELoss()),
    "mlp_odd": (lambda: mlp([300, 1000, 1000, 7], lambda i, w: [nn.ReLU()]), 100, 7,
                lambda p: torch.optim.Adam(p, lr=1e-3), nn.CrossEntropyLoss()),
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model", choices=MODELS)
    parser.add_argument("--seconds", type=float, default=2.0,
                        help="about how long each timed round runs")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    make, batch, classes, optimizer, lossf = MODELS[args.model]
    model = make()
    model.train()
    opt = optimizer(model.parameters())
    inputs = model[0].in_features
    outputs = model[-1].out_features
    xs = torch.rand(16, batch, inputs)
    ys = (torch.randint(0, classes, (16, batch)) if classes
          else torch.rand(16, batch, outputs))

    def step(k):
        opt.zero_grad(set_to_none=True)
        loss = lossf(model(xs[k % 16]), ys[k % 16])
        loss.backward()
        opt.step()
        return loss

    t0 = time.perf_counter()
    steps = 0
    while time.perf_counter() - t0 < 0.3 or steps < 3:  # warm up, calibrate
        step(steps)
        steps += 1
    per_round = max(3, int(steps * args.seconds / (time.perf_counter() - t0)))
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for s in range(per_round):
            loss = step(s)
        best = min(best, time.perf_counter() - t0)
    print(f"{per_round * batch / best:.0f} samples/s "
          f"({best / per_round * 1e6:.1f} us/step, loss {loss.item():.4f})")


if __name__ == "__main__":
    main()
