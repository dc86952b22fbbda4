"""The training benchmark's models in PyTorch: samples/s of the same training
step (forward, cross-entropy, backward, Adam) on random data, on the thread
count given. Debian's python3-torch; run with /usr/bin/python3."""
import argparse
import time

import torch

MODELS = {
    "mlp_small": ([784, 128, 10], 64),
    "mlp_large": ([784, 512, 512, 10], 128),
}


def build(widths):
    layers = []
    for i, (a, b) in enumerate(zip(widths, widths[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(widths) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model", choices=MODELS)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    widths, batch = MODELS[args.model]
    model = build(widths)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    lossf = torch.nn.CrossEntropyLoss()
    xs = torch.rand(16, batch, widths[0])
    ys = torch.randint(0, widths[-1], (16, batch))

    def step(k):
        opt.zero_grad(set_to_none=True)
        loss = lossf(model(xs[k % 16]), ys[k % 16])
        loss.backward()
        opt.step()
        return loss

    best = float("inf")
    for rnd in range(4):
        t0 = time.perf_counter()
        for s in range(args.steps):
            loss = step(s)
        t = time.perf_counter() - t0
        if rnd > 0:
            best = min(best, t)
    print(f"{args.model} (pytorch {torch.__version__}, {args.threads} thread): "
          f"{args.steps * batch / best:.0f} samples/s "
          f"({best / args.steps * 1e6:.1f} us/step, batch {batch}, loss {loss.item():.4f})")


if __name__ == "__main__":
    main()
