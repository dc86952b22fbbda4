//===- Python.cpp - A Python module over the compiled model ---------------===//
//
// `kiln build --emit=python` links the model and the runtime into
// lib<model>.so (not <model>.so, which Python would take for an extension
// module) and writes <model>.py, which reaches it through ctypes and the
// context API of kiln_rt.h (kiln_ctx_*). The module is one fmt template, so
// that it reads as the Python it generates (its braces are doubled). The
// ctypes structures mirror kiln_rt.h's kiln_train_options,
// kiln_train_result and kiln_eval_result field by field;
// test/python/check_module.py trains through them against the executable.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Codegen.h"

#include <fmt/format.h>

using namespace kiln;

namespace {

constexpr const char *kModuleTemplate = R"PY('''{n}: the kiln model "{n}", compiled into lib{n}.so (kiln build --emit=python).

    from {n} import Model
    m = Model(seed=0)                    # fresh weights; or Model(weights="w.safetensors")
    m = Model()                          # the weights compiled in, if any (COMPILED_WEIGHTS)
    m.train(x, y, epochs=20, val=(xv, yv))
    p = m.predict(x)                     # rows x OUTPUT_DIM float32
    m.evaluate(x, y)                     # {{"loss": ..., "accuracy": ...}}
    m.save("w.safetensors")

x: rows x INPUT_DIM, y: rows x TARGET_DIM (class labels as numbers). NumPy
arrays of float32 in C order are passed to the compiled code without a
copy; others are converted once. Errors raise KilnError with kiln's message.
Needs NumPy only.
'''

import ctypes
import os

import numpy as np

INPUT_DIM = {input_dim}
OUTPUT_DIM = {output_dim}
TARGET_DIM = {target_dim}
# Built with --weights, or imported from ONNX: Model() starts from them.
COMPILED_WEIGHTS = {compiled_weights}

_lib = ctypes.CDLL(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib{n}.so"))
_model = ctypes.addressof(ctypes.c_char.in_dll(_lib, "{n}_model"))
_f32p = ctypes.POINTER(ctypes.c_float)


class KilnError(RuntimeError):
    pass


class _TrainOptions(ctypes.Structure):  # kiln_rt.h: kiln_train_options
    _fields_ = [("epochs", ctypes.c_int64), ("steps", ctypes.c_int64),
                ("seed", ctypes.c_uint64), ("shuffle", ctypes.c_int32),
                ("early_stopping", ctypes.c_int32),
                ("monitor", ctypes.c_int32), ("patience", ctypes.c_int64),
                ("min_delta", ctypes.c_double), ("out", ctypes.c_void_p),
                ("quiet", ctypes.c_int32), ("tty", ctypes.c_int32),
                ("batch_report", ctypes.c_int32),
                ("metrics_path", ctypes.c_char_p),
                ("checkpoint_path", ctypes.c_char_p),
                ("checkpoint_every", ctypes.c_int64),
                ("checkpoint_every_steps", ctypes.c_int64),
                ("resume_path", ctypes.c_char_p),
                ("interrupt", ctypes.c_void_p), ("comm", ctypes.c_void_p),
                ("check_replicas", ctypes.c_int32)]


class _TrainResult(ctypes.Structure):  # kiln_train_result
    _fields_ = [("epochs", ctypes.c_int64), ("steps", ctypes.c_int64),
                ("train_loss", ctypes.c_double),
                ("best_epoch", ctypes.c_int64),
                ("best_value", ctypes.c_double),
                ("stopped_early", ctypes.c_int32),
                ("seconds", ctypes.c_double),
                ("allreduce_seconds", ctypes.c_double)]


class _EvalResult(ctypes.Structure):  # kiln_eval_result
    _fields_ = [("rows", ctypes.c_int64), ("loss", ctypes.c_double),
                ("accuracy", ctypes.c_double), ("mse", ctypes.c_double),
                ("mae", ctypes.c_double), ("r2", ctypes.c_double)]


class _Error(ctypes.Structure):  # kiln_error
    _fields_ = [("code", ctypes.c_int), ("message", ctypes.c_char * 1024)]


_lib.kiln_ctx_create.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(_Error)]
_lib.kiln_ctx_destroy.argtypes = [ctypes.c_void_p]
_lib.kiln_ctx_init.argtypes = [ctypes.c_void_p, ctypes.c_uint64]
_lib.kiln_ctx_load.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
_lib.kiln_ctx_save.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
_lib.kiln_ctx_predict.argtypes = [ctypes.c_void_p, _f32p, ctypes.c_int64, _f32p]
_lib.kiln_ctx_train.argtypes = [ctypes.c_void_p, _f32p, _f32p, ctypes.c_int64,
                                _f32p, _f32p, ctypes.c_int64,
                                ctypes.POINTER(_TrainOptions),
                                ctypes.POINTER(_TrainResult)]
_lib.kiln_ctx_evaluate.argtypes = [ctypes.c_void_p, _f32p, _f32p, ctypes.c_int64,
                                   ctypes.POINTER(_EvalResult)]
_lib.kiln_ctx_set_threads.argtypes = [ctypes.c_void_p, ctypes.c_int]
_lib.kiln_ctx_last_error.argtypes = [ctypes.c_void_p]
_lib.kiln_ctx_last_error.restype = ctypes.c_char_p
_lib.kiln_train_options_default.argtypes = [ctypes.c_void_p, ctypes.POINTER(_TrainOptions)]
_lib.kiln_set_threads.argtypes = [ctypes.c_int]


def _rows(a, width, what):
    """a as float32 in C order (no copy when it already is), rows x width:
    a 1-D array is one row, or, for one column, one value per row."""
    a = np.ascontiguousarray(a, dtype=np.float32)
    if a.ndim == 1:
        a = a.reshape(-1, 1) if width == 1 else a.reshape(1, -1)
    if a.ndim != 2 or a.shape[1] != width:
        raise KilnError("%s: shape %s, expected (rows, %d)" % (what, a.shape, width))
    return a


def _ptr(a):
    return a.ctypes.data_as(_f32p)


class Model:
    """The compiled model with its weights (a kiln_ctx)."""

    def __init__(self, weights=None, seed=None, threads=0):
        self._ctx = ctypes.c_void_p()
        err = _Error()
        if _lib.kiln_ctx_create(_model, ctypes.byref(self._ctx), ctypes.byref(err)):
            raise KilnError(err.message.decode())
        self._check(_lib.kiln_ctx_set_threads(self._ctx, threads))
        if weights is not None:
            self.load(weights)
        elif seed is not None or not COMPILED_WEIGHTS:
            self._check(_lib.kiln_ctx_init(self._ctx, {seed} if seed is None else seed))

    def __del__(self):
        if getattr(self, "_ctx", None):
            _lib.kiln_ctx_destroy(self._ctx)
            self._ctx = None

    def _check(self, status):
        if status:
            raise KilnError(_lib.kiln_ctx_last_error(self._ctx).decode())

    def load(self, path):
        self._check(_lib.kiln_ctx_load(self._ctx, os.fsencode(path)))

    def save(self, path):
        self._check(_lib.kiln_ctx_save(self._ctx, os.fsencode(path)))

    def predict(self, x):
        x = _rows(x, INPUT_DIM, "x")
        out = np.empty((x.shape[0], OUTPUT_DIM), dtype=np.float32)
        self._check(_lib.kiln_ctx_predict(self._ctx, _ptr(x), x.shape[0], _ptr(out)))
        return out

    def evaluate(self, x, y):
        x, y = _rows(x, INPUT_DIM, "x"), _rows(y, TARGET_DIM, "y")
        r = _EvalResult()
        self._check(_lib.kiln_ctx_evaluate(self._ctx, _ptr(x), _ptr(y), x.shape[0],
                                           ctypes.byref(r)))
        out = {{"loss": r.loss}}
        for name in ("accuracy", "mse", "mae", "r2"):
            v = getattr(r, name)
            if v == v:  # not NaN: the metrics of the target kind
                out[name] = v
        return out

    def train(self, x, y, epochs=None, steps=None, val=None, seed=None,
              shuffle=True, early_stopping=None, patience=None, verbose=False):
        """Trains as the executable's `train` does, from the current
        weights; returns {{"epochs", "steps", "train_loss", "best_epoch",
        "seconds"}}."""
        x, y = _rows(x, INPUT_DIM, "x"), _rows(y, TARGET_DIM, "y")
        if x.shape[0] != y.shape[0]:
            raise KilnError("x has %d rows, y %d" % (x.shape[0], y.shape[0]))
        vx = vy = None
        if val is not None:
            vx, vy = _rows(val[0], INPUT_DIM, "val x"), _rows(val[1], TARGET_DIM, "val y")
        o = _TrainOptions()
        _lib.kiln_train_options_default(_model, ctypes.byref(o))
        if epochs is not None:
            o.epochs = epochs
        if steps is not None:
            o.steps = steps
        if seed is not None:
            o.seed = seed
        o.shuffle = 1 if shuffle else 0
        o.early_stopping = (o.early_stopping if early_stopping is None
                            else int(early_stopping)) and vx is not None
        if patience is not None:
            o.patience = patience
        o.quiet = 0 if verbose else 1
        o.tty = 0
        r = _TrainResult()
        self._check(_lib.kiln_ctx_train(
            self._ctx, _ptr(x), _ptr(y), x.shape[0],
            _ptr(vx) if vx is not None else None,
            _ptr(vy) if vy is not None else None,
            0 if vx is None else vx.shape[0], ctypes.byref(o), ctypes.byref(r)))
        return {{"epochs": r.epochs, "steps": r.steps, "train_loss": r.train_loss,
                "best_epoch": r.best_epoch, "seconds": r.seconds}}
)PY";

} // namespace

std::string kiln::generatePythonModule(const ModelInfo &info) {
  std::string n = info.config.getName().str();
  return fmt::format(kModuleTemplate, fmt::arg("n", n),
                     fmt::arg("input_dim", info.config.getInputDim()),
                     fmt::arg("output_dim", info.outputDim),
                     fmt::arg("target_dim", info.config.getTargetDim()),
                     fmt::arg("seed", info.config.getSeed()),
                     fmt::arg("compiled_weights",
                              info.weights.empty() ? "False" : "True"));
}
