#!/usr/bin/python3
"""Cross-check kiln's training against PyTorch, tensor by tensor.

    /usr/bin/python3 test/pytorch/cross_check.py --kiln build/bin/kiln [-k NAME ...]

For each case in CASES (a tiny network: 5 inputs -> dense(7) -> [norm] ->
activation -> dense(K) [-> sigmoid], a loss and a train section) this

1. writes the spec and a small CSV (a fixed NumPy RNG; the row count is a
   multiple of the batch size, so every batch is full; no validation split),
   and builds a standalone executable with `kiln build`;
2. runs `./exe init --seed S --save init.safetensors` and loads that
   checkpoint into the equivalent `torch.nn.Sequential`, built from an
   OrderedDict whose module names are kiln's layer names (dense0, dense1,
   batchnorm0, layernorm0), with `load_state_dict(..., strict=True)` and no
   renaming: kiln's checkpoint names and shapes must be PyTorch's;
3. trains both from those weights for a few steps over at least two epochs:
   `./exe train --init-from init.safetensors --steps N --no-shuffle`, and in
   PyTorch the recipe a PyTorch user would write (torch.optim.*, an
   lr_scheduler stepped per epoch or per step, SequentialLR for a warmup,
   clip_grad_norm_, the loss modules, param groups for the weight-decay
   scope), in float32, model.train();
4. compares every tensor of kiln's trained checkpoint with the torch
   state_dict (parameters and batch norm's running statistics);
5. writes torch's trained weights as a safetensors file and checks that
   `./exe predict --weights` on the training rows gives torch's eval-mode
   outputs (probabilities for cross_entropy and from_logits losses).

The harness checks itself too: before every torch step the optimizer's lr
must equal the schedule's formula from docs/optimizers.md at that step (so a
torch scheduler that does not mean what the spec says cannot pass unnoticed),
a clip_norm case must clip some of its steps and not all, and training must
move the weights by at least 100 tolerances.

The cases cover each axis rather than the full product: every optimizer
(some with non-default hyperparameters), every schedule per epoch and per
step, warmup, the weight-decay scopes with a coupled optimizer and AdamW,
the loss reductions, from_logits, label smoothing, clip_norm, batch norm
(running statistics too) and layer norm. Dropout is used nowhere: kiln's mask
stream differs from torch's by design.

Safetensors files are read and written here in plain Python (8-byte
little-endian header length, JSON header, raw little-endian data); only
NumPy and torch (Debian's python3-numpy and python3-torch) are needed, and
nothing is downloaded. Without them the script exits with status 77, which
ctest reports as skipped.

Prints one line per case (the worst element of the worst tensor and its
error over the tolerance), then a summary; exits 1 if any case fails.
--keep DIR keeps each case's spec, data and checkpoints in DIR/<case>/.

Runtime: the 39 cases take 24 s on the 2-core Debian 12 development machine
(measured with another build running beside it). `kiln build` dominates,
about 0.6 s a case, and runs two cases at a time (--jobs); torch's import
takes 1.7 s, each case's torch run and kiln's own runs a few milliseconds.
"""

import argparse
import collections
import concurrent.futures
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
import zlib

try:
    import numpy as np
    import torch
    from torch import nn
except ImportError as e:
    print("skipped: %s (install Debian's python3-numpy and python3-torch)" % e)
    sys.exit(77)

# Tolerance. An element passes when
#     |kiln - torch| <= RTOL * max(|torch|, FLOOR).
# Both sides compute in float32 but sum in different orders, so each step
# carries relative rounding errors of ~1e-7 of the magnitudes involved
# (weights, activations and gradients of order 0.1-1 here); over ~10 steps
# the trained tensors agree to ~1e-6 relative. An element that ends near zero
# (a bias that started at 0, a running mean) still carries the absolute error
# of the O(0.01-1) updates that brought it there, hence the floor: 1e-2 allows
# an absolute 1e-6 near zero, ten times that rounding noise, while a formula
# error moves elements by lr * O(1e-2..1), 1e-4 and more.
# Measured: the worst element of any case is at 0.06 of the tolerance; a
# wrong torch recipe (the schedule per epoch instead of per step, the other
# weight-decay scope or reduction, no warmup, no clipping, no label
# smoothing, nesterov for momentum) is 200 to 10^5 times the tolerance in
# every case, and 13 times for the reduction under Adagrad, which cancels
# most of a constant factor in the gradient.
RTOL = 1e-4
FLOOR = 1e-2

BUILD_TIMEOUT = 180
RUN_TIMEOUT = 60
N_FEATURES = 5
HIDDEN = 7


# ---------------------------------------------------------------------------
# Safetensors, by hand.

def read_safetensors(path):
    """An OrderedDict name -> float32 array, in the file's data order."""
    with open(path, "rb") as f:
        raw = f.read()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    header.pop("__metadata__", None)
    dtypes = {"F32": "<f4", "F64": "<f8"}
    out = collections.OrderedDict()
    for name, info in sorted(header.items(),
                             key=lambda kv: kv[1]["data_offsets"][0]):
        begin, end = info["data_offsets"]
        arr = np.frombuffer(raw[8 + n + begin:8 + n + end],
                            dtypes[info["dtype"]])
        out[name] = arr.reshape(info["shape"]).astype(np.float32)
    return out


def write_safetensors(path, tensors):
    """Writes name -> array as F32 safetensors, in the given order."""
    header = {"__metadata__": {"format": "pt"}}
    blobs, offset = [], 0
    for name, arr in tensors.items():
        data = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(np.shape(arr)),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for data in blobs:
            f.write(data)


# ---------------------------------------------------------------------------
# The cases.

# kiln's optimizer defaults (docs/language.md, docs/optimizers.md): the
# torch optimizer gets the same numbers, given explicitly.
OPT_DEFAULTS = {
    "sgd": dict(lr=0.01),
    "momentum": dict(lr=0.01, momentum=0.9),
    "nesterov": dict(lr=0.01, momentum=0.9),
    "adagrad": dict(lr=0.01, eps=1e-10),
    "rmsprop": dict(lr=0.01, rho=0.99, eps=1e-8),
    "adam": dict(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8),
    "adamw": dict(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8,
                  weight_decay=0.01),
}

# Hidden activations: kiln's text and the torch module.
ACTIVATIONS = {
    "tanh": ("tanh", nn.Tanh),
    "relu": ("relu", nn.ReLU),
    "gelu": ("gelu", nn.GELU),
    "leaky_relu": ("leaky_relu(alpha = 0.1)", lambda: nn.LeakyReLU(0.1)),
    "softplus": ("softplus", nn.Softplus),
    "swish": ("swish", nn.SiLU),
    "sigmoid": ("sigmoid", nn.Sigmoid),
    "elu": ("elu(alpha = 0.7)", lambda: nn.ELU(0.7)),
}


class Case:
    """One spec and its torch recipe.

    opt:      (kind, {kiln hyperparameters}); {} writes the bare name.
    loss:     (kind, {kiln loss arguments}).
    norm:     None, ("batchnorm", {momentum, eps}) or ("layernorm", {eps}).
    schedule: None or (kind, {kiln arguments}, per): per is None (left out:
              per epoch), "epoch" or "step".
    warmup:   None or (iters, start_factor).
    """

    def __init__(self, name, opt, loss=("cross_entropy", {}), act="tanh",
                 norm=None, schedule=None, warmup=None, weight_decay=None,
                 scope=None, clip=None, rows=12, batch=4, steps=9,
                 bias_init=None, first_bias=True):
        self.name, self.opt, self.loss, self.act = name, opt, loss, act
        self.norm, self.schedule, self.warmup = norm, schedule, warmup
        self.weight_decay, self.scope, self.clip = weight_decay, scope, clip
        self.rows, self.batch, self.steps = rows, batch, steps
        self.bias_init, self.first_bias = bias_init, first_bias
        assert rows % batch == 0, "every batch must be full"
        self.batches = rows // batch
        assert steps > self.batches, "train over at least two epochs"
        self.seed = 0  # set from the name, below CASES

    # -- what the case is made of -------------------------------------------

    @property
    def target(self):
        kind = self.loss[0]
        return {"cross_entropy": "class", "bce": "binary",
                "multilabel_bce": "multilabel"}.get(kind, "real")

    @property
    def out_dim(self):
        return {"class": 3, "binary": 1, "multilabel": 3, "real": 2}[
            self.target]

    @property
    def sigmoid_output(self):
        """Losses on probabilities: the network ends with a sigmoid."""
        return (self.loss[0] in ("bce", "multilabel_bce")
                and not self.loss[1].get("from_logits", False))

    @property
    def per(self):
        return (self.schedule[2] if self.schedule else None) or "epoch"

    def opt_args(self):
        kind, args = self.opt
        full = dict(OPT_DEFAULTS[kind])
        full.update(args)
        return kind, full

    # -- the spec and the data ----------------------------------------------

    def spec(self):
        def value(v):
            if isinstance(v, bool):
                return "true" if v else "false"
            if isinstance(v, str):
                return v
            return "%.10g" % v

        def call(kind, args):
            if not args:
                return kind
            return "%s(%s)" % (kind, ", ".join(
                "%s = %s" % (k, value(v)) for k, v in args.items()))

        dense0 = [str(HIDDEN)]
        if not self.first_bias:
            dense0.append("bias = false")
        if self.bias_init:
            dense0.append("bias_init = " + self.bias_init)
        dense1 = [str(self.out_dim)]
        if self.bias_init:
            dense1.append("bias_init = " + self.bias_init)
        hidden = "x -> dense(%s)" % ", ".join(dense0)
        if self.norm:
            hidden += " -> " + call(*self.norm)
        hidden += " -> " + ACTIVATIONS[self.act][0]
        out = "h -> dense(%s)" % ", ".join(dense1)
        if self.sigmoid_output:
            out += " -> sigmoid"

        target_type = {"class": "class(3)", "binary": "binary",
                       "multilabel": "multilabel(3)", "real": "real(2)"}
        lines = [
            "# pytorch cross-check case %s" % self.name,
            "model %s" % self.name,
            "input x: [%d]" % N_FEATURES,
            "target y: %s" % target_type[self.target],
            "h = %s" % hidden,
            "out = %s" % out,
            "loss %s(out, y%s)" % (self.loss[0], "".join(
                ", %s = %s" % (k, value(v))
                for k, v in self.loss[1].items())),
            "train {",
            "  optimizer = %s" % call(*self.opt),
        ]
        if self.schedule:
            kind, args, per = self.schedule
            args = dict(args)
            if per:
                args["per"] = per
            lines.append("  schedule = %s" % call(kind, args))
        if self.warmup:
            lines.append("  warmup(iters = %d, start_factor = %s)" % (
                self.warmup[0], value(self.warmup[1])))
        if self.weight_decay is not None:
            lines.append("  weight_decay = %s" % value(self.weight_decay))
        if self.scope:
            lines.append("  weight_decay_scope = %s" % self.scope)
        if self.clip is not None:
            lines.append("  clip_norm = %s" % value(self.clip))
        lines += [
            "  batch_size = %d" % self.batch,
            "  epochs = %d" % -(-self.steps // self.batches),
            "}",
            "data {",
            '  train = "train.csv"',
            "  target = [%s]" % ", ".join(
                '"%s"' % c for c in self.target_columns()),
            "  val_split = 0",
            "}",
        ]
        return "\n".join(lines) + "\n"

    def target_columns(self):
        if self.target in ("class", "binary"):
            return ["target"]
        return ["y%d" % k for k in range(self.out_dim)]

    def data(self):
        """x: [rows, 5] float32; y: int64 labels or float32 [rows, K]."""
        rng = np.random.default_rng(1000 + self.seed)
        x = rng.normal(size=(self.rows, N_FEATURES)).astype(np.float32)
        if self.target == "class":
            y = rng.integers(0, 3, size=self.rows)
        elif self.target in ("binary", "multilabel"):
            y = rng.integers(0, 2, size=(self.rows, self.out_dim)).astype(
                np.float32)
        else:
            y = (1.5 * rng.normal(size=(self.rows, self.out_dim))).astype(
                np.float32)
        return x, y

    def write_data(self, path):
        x, y = self.data()
        cols = ["f%d" % i for i in range(N_FEATURES)] + self.target_columns()
        with open(path, "w") as f:
            f.write(",".join(cols) + "\n")
            for i in range(self.rows):
                # %.9g round-trips float32 exactly.
                cells = ["%.9g" % v for v in x[i]]
                if self.target == "class":
                    cells.append("%d" % y[i])
                else:
                    cells += ["%.9g" % v for v in y[i]]
                f.write(",".join(cells) + "\n")

    # -- the torch side -----------------------------------------------------

    def torch_model(self):
        layers = collections.OrderedDict()
        layers["dense0"] = nn.Linear(N_FEATURES, HIDDEN, bias=self.first_bias)
        if self.norm:
            kind, args = self.norm
            if kind == "batchnorm":
                layers["batchnorm0"] = nn.BatchNorm1d(
                    HIDDEN, eps=args.get("eps", 1e-5),
                    momentum=args.get("momentum", 0.1))
            else:
                layers["layernorm0"] = nn.LayerNorm(
                    HIDDEN, eps=args.get("eps", 1e-5))
        layers["act0"] = ACTIVATIONS[self.act][1]()
        layers["dense1"] = nn.Linear(HIDDEN, self.out_dim)
        if self.sigmoid_output:
            layers["act1"] = nn.Sigmoid()
        return nn.Sequential(layers)

    def torch_loss(self):
        kind, args = self.loss
        reduction = args.get("reduction")
        if kind == "cross_entropy":
            return nn.CrossEntropyLoss(
                label_smoothing=args.get("label_smoothing", 0.0))
        logits = args.get("from_logits", False)
        if kind in ("bce", "multilabel_bce"):
            module = nn.BCEWithLogitsLoss if logits else nn.BCELoss
            if kind == "bce" or reduction == "mean":
                return module()
            # multilabel_bce's default, the lecture's: summed over labels.
            per_element = module(reduction="none")
            return lambda p, y: per_element(p, y).sum(1).mean()
        if kind == "huber":
            options = {"delta": args.get("delta", 1.0)}
            module = nn.HuberLoss
        else:
            options = {}
            module = {"mse": nn.MSELoss, "mae": nn.L1Loss}[kind]
        if reduction == "sum":
            # Summed over a sample's outputs, averaged over the batch.
            per_element = module(reduction="none", **options)
            return lambda p, y: per_element(p, y).sum(1).mean()
        return module(reduction="mean", **options)

    def torch_optimizer(self, model):
        kind, a = self.opt_args()
        params = list(model.named_parameters())
        if kind == "adamw":
            decay = a["weight_decay"]
        else:
            decay = self.weight_decay or 0.0
        if decay:
            # weight_decay_scope: weights (the default) decays the rank-2
            # params only; all decays every param.
            on = [p for _, p in params if self.scope == "all" or p.dim() >= 2]
            off = [p for _, p in params
                   if not (self.scope == "all" or p.dim() >= 2)]
            groups = [{"params": on, "weight_decay": decay}]
            if off:
                groups.append({"params": off, "weight_decay": 0.0})
        else:
            groups = [{"params": [p for _, p in params],
                       "weight_decay": 0.0}]
        lr = a["lr"]
        if kind == "sgd":
            return torch.optim.SGD(groups, lr=lr)
        if kind in ("momentum", "nesterov"):
            return torch.optim.SGD(groups, lr=lr, momentum=a["momentum"],
                                   nesterov=kind == "nesterov")
        if kind == "adagrad":
            return torch.optim.Adagrad(groups, lr=lr, eps=a["eps"])
        if kind == "rmsprop":
            return torch.optim.RMSprop(groups, lr=lr, alpha=a["rho"],
                                       eps=a["eps"])
        betas = (a["beta1"], a["beta2"])
        if kind == "adam":
            return torch.optim.Adam(groups, lr=lr, betas=betas, eps=a["eps"])
        return torch.optim.AdamW(groups, lr=lr, betas=betas, eps=a["eps"])

    def torch_scheduler(self, opt):
        S = torch.optim.lr_scheduler
        if self.schedule:
            kind, a, _ = self.schedule
            if kind == "step_decay":
                main = S.StepLR(opt, step_size=a["step_size"],
                                gamma=a.get("gamma", 0.1))
            elif kind == "exponential_decay" and "gamma" in a:
                main = S.ExponentialLR(opt, gamma=a["gamma"])
            elif kind == "exponential_decay":
                k = a["k"]
                main = S.LambdaLR(opt, lambda t: math.exp(-k * t))
            elif kind == "linear_decay":
                main = S.LinearLR(opt, start_factor=a["start_factor"],
                                  end_factor=a["end_factor"],
                                  total_iters=a["iters"])
            elif kind == "cosine":
                main = S.CosineAnnealingLR(opt, T_max=a["t_max"],
                                           eta_min=a["min_lr"])
            elif kind == "constant":
                main = S.LambdaLR(opt, lambda t: 1.0)
            else:
                raise AssertionError(kind)
        else:
            main = None
        if not self.warmup:
            return main
        iters, start = self.warmup
        warm = S.LinearLR(opt, start_factor=start, end_factor=1.0,
                          total_iters=iters)
        if main is None:
            return warm
        return S.SequentialLR(opt, [warm, main], milestones=[iters])

    def expected_lr(self, t):
        """The lr at schedule time t, from the formulas of the docs: checks
        that the torch recipe above means what the spec says."""
        lr0 = self.opt_args()[1]["lr"]
        if self.warmup and t < self.warmup[0]:
            iters, start = self.warmup
            return lr0 * (start + (1.0 - start) * t / iters)
        if self.warmup:
            t -= self.warmup[0]
        if not self.schedule:
            return lr0
        kind, a, _ = self.schedule
        if kind == "step_decay":
            return lr0 * a.get("gamma", 0.1) ** (t // a["step_size"])
        if kind == "exponential_decay" and "gamma" in a:
            return lr0 * a["gamma"] ** t
        if kind == "exponential_decay":
            return lr0 * math.exp(-a["k"] * t)
        if kind == "linear_decay":
            f = min(t, a["iters"]) / a["iters"]
            return lr0 * (a["start_factor"]
                          + (a["end_factor"] - a["start_factor"]) * f)
        if kind == "cosine":
            assert t <= a["t_max"], "past t_max: keep the cases within it"
            return a["min_lr"] + (lr0 - a["min_lr"]) * (
                1 + math.cos(math.pi * t / a["t_max"])) / 2
        return lr0


c = Case


# The optimizer cases train a 12-row set in batches of 4 (3 steps an epoch)
# for 9 steps; the per-step schedules 8 rows (2 steps an epoch) for 10 steps.
CE_SMOOTH = ("cross_entropy", {"label_smoothing": 0.1})
UNIFORM_BIAS = "uniform(-0.5, 0.5)"
CASES = [
    # Every optimizer (with the losses' default reductions and options).
    c("opt_sgd", ("sgd", {"lr": 0.1})),
    c("opt_momentum_ce_smooth", ("momentum", {"lr": 0.05, "momentum": 0.8}),
      act="relu", loss=CE_SMOOTH),
    c("opt_nesterov_huber", ("nesterov", {"lr": 0.05}),
      loss=("huber", {"delta": 0.5})),
    c("opt_adagrad_mlbce_logits", ("adagrad", {"lr": 0.1, "eps": 1e-6}),
      act="gelu", loss=("multilabel_bce", {"from_logits": True})),
    c("opt_rmsprop_bce_logits", ("rmsprop", {"lr": 0.01, "rho": 0.9,
                                             "eps": 1e-6}),
      act="swish", loss=("bce", {"from_logits": True})),
    c("opt_adam", ("adam", {"lr": 0.01, "beta1": 0.8, "beta2": 0.99,
                            "eps": 1e-6}), act="leaky_relu"),
    c("opt_adam_elu", ("adam", {"lr": 0.01}), act="elu"),
    c("opt_adamw", ("adamw", {"lr": 0.01, "beta1": 0.85, "beta2": 0.995,
                              "eps": 1e-7, "weight_decay": 0.2}),
      bias_init=UNIFORM_BIAS),
    # Every schedule, per epoch (t = the epoch index)...
    c("sched_step_epoch_mae", ("sgd", {"lr": 0.1}),
      schedule=("step_decay", {"step_size": 2, "gamma": 0.5}, None),
      steps=12, loss=("mae", {})),
    c("sched_exp_gamma_epoch_mse", ("momentum", {"lr": 0.05}),
      schedule=("exponential_decay", {"gamma": 0.7}, None),
      loss=("mse", {})),
    c("sched_exp_k_epoch", ("sgd", {"lr": 0.1}),
      schedule=("exponential_decay", {"k": 0.3}, None)),
    c("sched_linear_epoch", ("sgd", {"lr": 0.1}),
      schedule=("linear_decay", {"iters": 3, "end_factor": 0.2,
                                 "start_factor": 1.0}, "epoch"), steps=12),
    c("sched_cosine_epoch", ("adam", {"lr": 0.02}),
      schedule=("cosine", {"t_max": 3, "min_lr": 0.002}, None), steps=12),
    c("sched_warmup_step_epoch", ("sgd", {"lr": 0.1}),
      schedule=("step_decay", {"step_size": 1, "gamma": 0.5}, None),
      warmup=(2, 0.25), steps=15),
    # ... and per step (t = step - 1).
    c("sched_step_step", ("sgd", {"lr": 0.1}),
      schedule=("step_decay", {"step_size": 3, "gamma": 0.5}, "step"),
      rows=8, steps=10),
    c("sched_exp_gamma_step", ("sgd", {"lr": 0.1}),
      schedule=("exponential_decay", {"gamma": 0.85}, "step"),
      rows=8, steps=10),
    c("sched_exp_k_step", ("rmsprop", {"lr": 0.01}),
      schedule=("exponential_decay", {"k": 0.15}, "step"), rows=8, steps=10),
    c("sched_linear_step", ("momentum", {"lr": 0.05}),
      schedule=("linear_decay", {"iters": 6, "end_factor": 0.1,
                                 "start_factor": 0.5}, "step"),
      rows=8, steps=10),
    c("sched_cosine_step", ("sgd", {"lr": 0.1}),
      schedule=("cosine", {"t_max": 10, "min_lr": 0.001}, "step"),
      rows=8, steps=10),
    c("sched_warmup_cosine_step", ("adam", {"lr": 0.02}),
      schedule=("cosine", {"t_max": 7, "min_lr": 0.005}, "step"),
      warmup=(3, 0.1), rows=8, steps=10),
    c("sched_warmup_constant_step", ("sgd", {"lr": 0.1}),
      schedule=("constant", {}, "step"), warmup=(4, 0.2), rows=8, steps=10),
    # Weight decay: coupled (g += lambda w) with each scope, and AdamW's.
    c("wd_momentum_weights", ("momentum", {"lr": 0.05}), weight_decay=0.05,
      bias_init=UNIFORM_BIAS),
    c("wd_sgd_all", ("sgd", {"lr": 0.1}), weight_decay=0.05, scope="all",
      bias_init=UNIFORM_BIAS),
    c("wd_adam_weights", ("adam", {"lr": 0.01}), weight_decay=0.1,
      scope="weights", bias_init=UNIFORM_BIAS),
    c("wd_adamw_all", ("adamw", {"lr": 0.01, "weight_decay": 0.2}),
      scope="all", bias_init=UNIFORM_BIAS),
    # Losses and their reductions.
    c("loss_bce_prob", ("sgd", {"lr": 0.2}), loss=("bce", {})),
    c("loss_mlbce", ("sgd", {"lr": 0.1}), loss=("multilabel_bce", {})),
    c("loss_mlbce_mean", ("sgd", {"lr": 0.2}),
      loss=("multilabel_bce", {"reduction": "mean"})),
    c("loss_mlbce_logits_sum", ("sgd", {"lr": 0.1}),
      loss=("multilabel_bce", {"from_logits": True, "reduction": "sum"})),
    c("loss_mlbce_logits_mean", ("momentum", {"lr": 0.1}),
      loss=("multilabel_bce", {"from_logits": True, "reduction": "mean"})),
    c("loss_mse_sum", ("sgd", {"lr": 0.05}),
      loss=("mse", {"reduction": "sum"})),
    c("loss_mae_sum", ("momentum", {"lr": 0.05}),
      loss=("mae", {"reduction": "sum"}), act="softplus"),
    c("loss_huber_sum", ("sgd", {"lr": 0.05}),
      loss=("huber", {"delta": 1.0, "reduction": "sum"})),
    # clip_norm: thresholds that clip some steps and not others (checked).
    c("clip_sgd", ("sgd", {"lr": 0.2}), clip=1.25),
    c("clip_adam", ("adam", {"lr": 0.01}), clip=1.0, act="relu"),
    # Batch norm (running statistics compared too; no bias before it, as its
    # gradient is zero up to rounding and Adam would amplify the noise) and
    # layer norm.
    c("bn_momentum", ("momentum", {"lr": 0.05}),
      norm=("batchnorm", {}), act="relu", first_bias=False),
    c("bn_adam_wd", ("adam", {"lr": 0.01}),
      norm=("batchnorm", {"momentum": 0.2, "eps": 1e-3}), first_bias=False,
      weight_decay=0.1, loss=("mse", {})),
    c("ln_adam_defaults", ("adam", {}), norm=("layernorm", {})),
    c("ln_rmsprop_wd_all", ("rmsprop", {"lr": 0.01}),
      norm=("layernorm", {"eps": 1e-3}), weight_decay=0.05, scope="all",
      loss=CE_SMOOTH, act="gelu"),
]
for _case in CASES:
    # From the name, so that adding or reordering cases changes no other.
    _case.seed = zlib.crc32(_case.name.encode()) % 10007


# ---------------------------------------------------------------------------
# Running kiln.

class CaseError(Exception):
    """A failure, with its kind: build, kiln, names, torch, numeric."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def run(cmd, cwd, timeout, what):
    env = dict(os.environ, KILN_NUM_THREADS="1")
    try:
        proc = subprocess.run(cmd, cwd=cwd, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=timeout,
                              env=env)
    except subprocess.TimeoutExpired:
        raise CaseError(what, "%s: no answer after %d s" % (
            " ".join(cmd), timeout))
    if proc.returncode != 0:
        raise CaseError(what, "%s: exit status %d\n%s" % (
            " ".join(os.path.basename(a) if os.path.isabs(a) else a
                     for a in cmd),
            proc.returncode, (proc.stdout + proc.stderr).strip()))
    return proc


def kiln_side(kiln, case, workdir):
    """Builds the case and trains it; returns (init, trained) checkpoints."""
    os.makedirs(workdir, exist_ok=True)
    with open(os.path.join(workdir, "model.kiln"), "w") as f:
        f.write(case.spec())
    case.write_data(os.path.join(workdir, "train.csv"))
    # Prediction blocks of 4 rows (the batch) and 1 only: a third faster to
    # build than the default set, and enough for predict's 8 or 12 rows.
    run([kiln, "build", "--predict-rows=4", "model.kiln", "-o", "model"],
        workdir, BUILD_TIMEOUT, "build")
    exe = os.path.join(workdir, "model")
    run([exe, "init", "--seed", str(case.seed), "--save",
         "init.safetensors"], workdir, RUN_TIMEOUT, "kiln")
    run([exe, "train", "--init-from", "init.safetensors", "--steps",
         str(case.steps), "--no-shuffle", "--save", "out.safetensors",
         "--quiet", "--threads", "1"], workdir, RUN_TIMEOUT, "kiln")
    return (read_safetensors(os.path.join(workdir, "init.safetensors")),
            read_safetensors(os.path.join(workdir, "out.safetensors")))


# ---------------------------------------------------------------------------
# The torch side and the comparison.

def torch_side(case, init):
    """Trains the torch model from kiln's initial weights; returns it."""
    model = case.torch_model()
    state = {k: torch.from_numpy(v.copy()) for k, v in init.items()}
    try:
        # No renaming: kiln's names must be torch's (BatchNorm1d fills in
        # its num_batches_tracked, which kiln does not keep).
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise CaseError("names", "load_state_dict(kiln's init, strict=True): "
                        + " ".join(str(e).split()))
    model.train()
    x, y = case.data()
    x = torch.from_numpy(x)
    y = torch.from_numpy(y)
    loss_fn = case.torch_loss()
    opt = case.torch_optimizer(model)
    with warnings.catch_warnings():
        # SequentialLR calls step(0) on the schedule after the warmup.
        warnings.simplefilter("ignore", UserWarning)
        sched = case.torch_scheduler(opt)
    clipped = 0
    for step in range(1, case.steps + 1):
        epoch, b = divmod(step - 1, case.batches)
        t = step - 1 if case.per == "step" else epoch
        want = case.expected_lr(t)
        for group in opt.param_groups:
            if abs(group["lr"] - want) > 1e-12 * want:
                raise CaseError("torch", "the torch recipe's lr at step %d is "
                                "%.10g, the formula's %.10g" % (
                                    step, group["lr"], want))
        rows = slice(b * case.batch, (b + 1) * case.batch)
        opt.zero_grad()
        loss = loss_fn(model(x[rows]), y[rows])
        loss.backward()
        if case.clip is not None:
            norm = nn.utils.clip_grad_norm_(model.parameters(), case.clip)
            clipped += float(norm) > case.clip
        opt.step()
        if sched is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                if case.per == "step" or b == case.batches - 1:
                    sched.step()
    if case.clip is not None and not 0 < clipped < case.steps:
        # Both branches: steps scaled down and steps left alone.
        raise CaseError("torch", "clip_norm = %g clipped %d of %d steps: "
                        "choose a threshold that clips some" % (
                            case.clip, clipped, case.steps))
    return model


def worst(got, want):
    """(err/tol, index) of the worst element of two arrays."""
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    ratio = np.abs(got - want) / (RTOL * np.maximum(np.abs(want), FLOOR))
    i = int(np.argmax(ratio)) if ratio.size else 0
    return (float(ratio.flat[i]) if ratio.size else 0.0,
            np.unravel_index(i, got.shape) if got.ndim else ())


def compare(kiln_state, torch_state):
    """The worst element over the tensors: (ratio, name, index, kiln,
    torch)."""
    result = (-1.0, None, None, None, None)
    for name, got in kiln_state.items():
        want = torch_state[name]
        if tuple(got.shape) != tuple(want.shape):
            raise CaseError("names", "tensor %s: kiln's shape %s, torch's %s"
                            % (name, list(got.shape), list(want.shape)))
        ratio, index = worst(got, want)
        if ratio > result[0]:
            result = (ratio, name, tuple(int(i) for i in index),
                      float(got[index]), float(want[index]))
    return result


def predict_check(kiln_exe, case, model, workdir):
    """kiln's predict with torch's trained weights against torch's eval-mode
    output on the training rows: (ratio, index, kiln, torch)."""
    state = collections.OrderedDict(
        (k, v.detach().numpy()) for k, v in model.state_dict().items()
        if not k.endswith("num_batches_tracked"))
    write_safetensors(os.path.join(workdir, "torch.safetensors"), state)
    run([kiln_exe, "predict", "--weights", "torch.safetensors", "--data",
         "train.csv", "--output", "pred.csv", "--threads", "1"], workdir,
        RUN_TIMEOUT, "kiln")
    with open(os.path.join(workdir, "pred.csv")) as f:
        header = f.readline().strip().split(",")
        rows = [[float(v) for v in line.split(",")] for line in f
                if line.strip()]
    pred = np.array(rows)
    if case.target == "real":
        got = pred
    else:  # class,p0..; class,p; y0..,p0..: the probabilities
        got = pred[:, [i for i, h in enumerate(header) if h.startswith("p")]]
    model.eval()
    with torch.no_grad():
        out = model(torch.from_numpy(case.data()[0]))
    if case.loss[0] == "cross_entropy":
        out = torch.softmax(out, dim=1)
    elif case.loss[1].get("from_logits"):
        out = torch.sigmoid(out)
    want = out.numpy()
    if got.shape != want.shape:
        raise CaseError("kiln", "predict wrote %s values, torch has %s" % (
            got.shape, want.shape))
    ratio, index = worst(got, want)
    return ratio, index, float(got[index]), float(want[index])


def check(case, workdir, kiln_future):
    init, trained = kiln_future.result()
    if list(trained) != list(init):
        raise CaseError("names", "init and trained checkpoints differ in "
                        "their tensors")
    model = torch_side(case, init)
    torch_state = {k: v.detach().numpy()
                   for k, v in model.state_dict().items()}
    # A run that did not train would agree with a torch run that did not
    # either: make sure the weights moved by far more than the tolerance.
    moved = max(worst(torch_state[k], v)[0] for k, v in init.items())
    if moved < 100:
        raise CaseError("torch", "training moved the weights by only %.3g "
                        "tolerances" % moved)
    ratio, name, index, got, want = compare(trained, torch_state)
    pred = predict_check(os.path.join(workdir, "model"), case, model, workdir)
    return ratio, name, index, got, want, pred


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kiln", required=False,
                        help="the kiln compiler (build/bin/kiln)")
    parser.add_argument("-k", "--case", action="append", default=[],
                        help="run the cases whose name contains this "
                             "(repeatable)")
    parser.add_argument("-j", "--jobs", type=int, default=2,
                        help="cases built and trained at once (default 2)")
    parser.add_argument("--keep", metavar="DIR",
                        help="keep each case's files in DIR/<case>/")
    parser.add_argument("--list", action="store_true",
                        help="list the cases and exit")
    parser.add_argument("--spec", metavar="CASE",
                        help="print a case's spec and exit")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print the full message of each failure")
    args = parser.parse_args()

    cases = [c for c in CASES
             if not args.case or any(k in c.name for k in args.case)]
    if args.list:
        for case in cases:
            print(case.name)
        return 0
    if args.spec:
        print(next(c for c in CASES if c.name == args.spec).spec(), end="")
        return 0
    if not args.kiln:
        parser.error("--kiln is required")
    if not cases:
        parser.error("no case matches %s" % args.case)
    kiln = os.path.abspath(args.kiln)
    torch.set_num_threads(1)
    start = time.time()

    root = args.keep or tempfile.mkdtemp(prefix="kiln_pytorch_")
    os.makedirs(root, exist_ok=True)
    failures = collections.Counter()
    worst_pass = 0.0
    width = max(len(c.name) for c in cases)
    print("%-*s  result  err/tol  worst element: kiln vs torch "
          "(tolerance %g x max(|torch|, %g))" % (width, "case", RTOL, FLOOR))
    try:
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            futures = [pool.submit(kiln_side, kiln, case,
                                   os.path.join(root, case.name))
                       for case in cases]
            for case, future in zip(cases, futures):
                workdir = os.path.join(root, case.name)
                try:
                    (ratio, name, index, got, want,
                     pred) = check(case, workdir, future)
                except CaseError as e:
                    failures[e.kind] += 1
                    message = str(e)
                    if not args.verbose and e.kind == "build":
                        # The first error line says what the spec lacks.
                        errors = [l for l in message.splitlines()
                                  if "error:" in l]
                        message = "kiln build: " + (
                            errors[0].strip() if errors else message.strip())
                    elif not args.verbose:
                        message = " | ".join(message.splitlines()[:4])
                    print("%-*s  FAIL    %-7s  %s" % (width, case.name,
                                                      e.kind, message))
                    continue
                element = "%s[%s]" % (name, ", ".join(map(str, index)))
                ok = ratio <= 1 and pred[0] <= 1
                line = "%-*s  %-6s  %7.3f  %s: %.8g vs %.8g; predict %.3f" % (
                    width, case.name, "pass" if ok else "FAIL",
                    ratio, element, got, want, pred[0])
                if pred[0] > 1:
                    line += " (row %d col %d: %.8g vs %.8g)" % (
                        pred[1][0], pred[1][1], pred[2], pred[3])
                print(line)
                if ok:
                    worst_pass = max(worst_pass, ratio, pred[0])
                else:
                    failures["numeric"] += 1
                sys.stdout.flush()
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)

    failed = sum(failures.values())
    print("%d cases: %d passed, %d failed%s in %.1f s; worst passing "
          "err/tol %.3f" % (
              len(cases), len(cases) - failed, failed,
              " (" + ", ".join("%d %s" % (n, k) for k, n in
                               sorted(failures.items())) + ")"
              if failed else "", time.time() - start, worst_pass))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
