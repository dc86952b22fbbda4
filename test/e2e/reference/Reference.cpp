//===- Reference.cpp - A float64 interpreter of kiln models ---------------===//

#include "Reference.h"

#include "kiln_rt.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdlib>
#include <limits>

using namespace kiln;
using namespace kiln::e2e;

int64_t Tensor::numel(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

namespace {

double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }

Tensor zerosLike(const std::vector<int64_t> &shape) {
  return Tensor{shape, std::vector<double>(Tensor::numel(shape), 0.0)};
}

/// The element of `in` that NumPy broadcasting pairs with element `outIndex`
/// of a result of shape `outShape` (shapes aligned on the right, size-1
/// dimensions repeated).
int64_t broadcastIndex(const std::vector<int64_t> &outShape,
                       const std::vector<int64_t> &inShape, int64_t outIndex) {
  size_t rank = outShape.size(), offset = rank - inShape.size();
  int64_t inIndex = 0, inStride = 1;
  for (size_t d = rank; d-- > 0;) {
    int64_t coord = outIndex % outShape[d];
    outIndex /= outShape[d];
    if (d < offset)
      continue;
    int64_t size = inShape[d - offset];
    inIndex += (size == 1 ? 0 : coord) * inStride;
    inStride *= size;
  }
  return inIndex;
}

template <typename F>
Tensor binary(const std::vector<int64_t> &shape, const Tensor &a,
              const Tensor &b, F f) {
  Tensor r = zerosLike(shape);
  for (int64_t i = 0; i < (int64_t)r.data.size(); ++i)
    r.data[i] = f(a.data[broadcastIndex(shape, a.shape, i)],
                  b.data[broadcastIndex(shape, b.shape, i)]);
  return r;
}

template <typename F> Tensor unary(const Tensor &a, F f) {
  Tensor r = a;
  for (double &v : r.data)
    v = f(v);
  return r;
}

/// Normalizes each column (batchnorm) or row (layernorm) of a [rows, cols]
/// tensor given per-group mean and (biased) variance, then scales and
/// shifts per column.
double normalize(double v, double mean, double var, double eps, double gamma,
                 double beta) {
  return gamma * (v - mean) / std::sqrt(var + eps) + beta;
}

} // namespace

int64_t Reference::targetDim() const {
  return model.target.kind == TargetKind::Class ? 1 : model.target.size;
}

int64_t Reference::outputDim() const {
  return model.nodes[model.loss.prediction].shape.back();
}

RefResult Reference::run(const RefStates &states, const std::vector<double> &x,
                         const std::vector<double> &y, Mode mode,
                         uint64_t seed, int64_t step) const {
  const int64_t B = batchSize();
  assert((int64_t)x.size() == B * inputDim());
  assert((int64_t)y.size() == B * targetDim());
  RefResult res;
  std::vector<Tensor> &v = res.values;
  v.reserve(model.nodes.size());
  uint32_t dropoutStream = 0;
  auto kink = [&](double distance) {
    res.kinkDistance = std::min(res.kinkDistance, std::fabs(distance));
  };

  for (unsigned id = 0; id < model.nodes.size(); ++id) {
    const Node &n = model.nodes[id];
    auto in = [&](unsigned k) -> const Tensor & { return v[n.operands[k]]; };
    auto state = [&](unsigned k) -> const std::vector<double> & {
      return states[n.states[k]];
    };
    Tensor r;
    switch (n.kind) {
    case OpKind::Input:
      r = Tensor{n.shape, x};
      break;
    case OpKind::Target:
      r = Tensor{n.shape, y};
      break;
    case OpKind::Load:
      r = Tensor{n.shape, state(0)};
      break;
    case OpKind::Constant:
      r = Tensor{{}, {n.value}};
      break;
    case OpKind::Dense: { // y = x W^T + b, W: [out, in]
      const Tensor &a = in(0);
      int64_t rows = a.shape[0], inF = a.shape[1], outF = n.shape[1];
      const std::vector<double> &w = state(0);
      r = zerosLike(n.shape);
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t o = 0; o < outF; ++o) {
          double s = n.states.size() > 1 ? state(1)[o] : 0.0;
          for (int64_t k = 0; k < inF; ++k)
            s += a.data[i * inF + k] * w[o * inF + k];
          r.data[i * outF + o] = s;
        }
      break;
    }
    case OpKind::MatMul: {
      const Tensor &a = in(0), &b = in(1);
      int64_t M = a.shape[0], K = a.shape[1], N = b.shape[1];
      r = zerosLike(n.shape);
      for (int64_t i = 0; i < M; ++i)
        for (int64_t j = 0; j < N; ++j) {
          double s = 0;
          for (int64_t k = 0; k < K; ++k)
            s += a.data[i * K + k] * b.data[k * N + j];
          r.data[i * N + j] = s;
        }
      break;
    }
    case OpKind::Add:
      r = binary(n.shape, in(0), in(1), [](double a, double b) { return a + b; });
      break;
    case OpKind::Sub:
      r = binary(n.shape, in(0), in(1), [](double a, double b) { return a - b; });
      break;
    case OpKind::Mul:
      r = binary(n.shape, in(0), in(1), [](double a, double b) { return a * b; });
      break;
    case OpKind::Div:
      r = binary(n.shape, in(0), in(1), [](double a, double b) { return a / b; });
      break;
    case OpKind::Neg:
      r = unary(in(0), [](double a) { return -a; });
      break;
    case OpKind::Exp:
      r = unary(in(0), [](double a) { return std::exp(a); });
      break;
    case OpKind::Log:
      r = unary(in(0), [](double a) { return std::log(a); });
      break;
    case OpKind::Sqrt:
      r = unary(in(0), [](double a) { return std::sqrt(a); });
      break;
    case OpKind::Abs:
      r = unary(in(0), [&](double a) { kink(a); return std::fabs(a); });
      break;
    case OpKind::Sigmoid:
      r = unary(in(0), sigmoid);
      break;
    case OpKind::Tanh:
      r = unary(in(0), [](double a) { return std::tanh(a); });
      break;
    case OpKind::Relu:
      r = unary(in(0), [&](double a) { kink(a); return a > 0 ? a : 0.0; });
      break;
    case OpKind::LeakyRelu:
      r = unary(in(0), [&](double a) {
        kink(a);
        return a >= 0 ? a : n.alpha * a;
      });
      break;
    case OpKind::Elu: // smooth at 0 only for alpha = 1
      r = unary(in(0), [&](double a) {
        if (n.alpha != 1.0)
          kink(a);
        return a > 0 ? a : n.alpha * std::expm1(a);
      });
      break;
    case OpKind::Gelu:
      if (n.approximate)
        r = unary(in(0), [](double a) { return a * sigmoid(1.702 * a); });
      else
        r = unary(in(0), [](double a) {
          return 0.5 * a * (1.0 + std::erf(a / std::sqrt(2.0)));
        });
      break;
    case OpKind::Softplus:
      r = unary(in(0), [&](double a) {
        return std::log1p(std::exp(n.beta * a)) / n.beta;
      });
      break;
    case OpKind::Swish:
      r = unary(in(0), [&](double a) { return a * sigmoid(n.beta * a); });
      break;
    case OpKind::Softmax: {
      r = in(0);
      int64_t cols = r.shape.back(), rows = (int64_t)r.data.size() / cols;
      for (int64_t i = 0; i < rows; ++i) {
        double *row = &r.data[i * cols];
        double mx = *std::max_element(row, row + cols), s = 0;
        for (int64_t j = 0; j < cols; ++j)
          s += row[j] = std::exp(row[j] - mx);
        for (int64_t j = 0; j < cols; ++j)
          row[j] /= s;
      }
      break;
    }
    case OpKind::Dropout: {
      // Streams count the dropout nodes in node order, in both modes.
      uint32_t stream = dropoutStream++;
      r = in(0);
      if (mode == Mode::Training)
        for (int64_t i = 0; i < (int64_t)r.data.size(); ++i)
          r.data[i] = kiln_dropout_keep(seed, stream, step, (uint32_t)i,
                                        (float)n.p)
                          ? r.data[i] / (1.0 - n.p)
                          : 0.0;
      break;
    }
    case OpKind::BatchNorm: {
      r = in(0);
      int64_t rows = r.shape[0], cols = r.shape[1];
      std::vector<double> mean(cols), var(cols);
      if (mode == Mode::Training) {
        BatchStats stats{id, {}, {}};
        for (int64_t j = 0; j < cols; ++j) {
          double s = 0, ss = 0;
          for (int64_t i = 0; i < rows; ++i)
            s += r.data[i * cols + j];
          mean[j] = s / rows;
          for (int64_t i = 0; i < rows; ++i) {
            double d = r.data[i * cols + j] - mean[j];
            ss += d * d;
          }
          var[j] = ss / rows;
        }
        stats.mean = mean;
        for (double vj : var)
          stats.unbiasedVar.push_back(rows > 1 ? vj * rows / (rows - 1) : vj);
        res.batchStats.push_back(stats);
      } else {
        mean = state(2);
        var = state(3);
      }
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j)
          r.data[i * cols + j] = normalize(r.data[i * cols + j], mean[j],
                                           var[j], n.eps, state(0)[j],
                                           state(1)[j]);
      break;
    }
    case OpKind::LayerNorm: {
      r = in(0);
      int64_t rows = r.shape[0], cols = r.shape[1];
      for (int64_t i = 0; i < rows; ++i) {
        double *row = &r.data[i * cols], s = 0, ss = 0;
        for (int64_t j = 0; j < cols; ++j)
          s += row[j];
        double mean = s / cols;
        for (int64_t j = 0; j < cols; ++j)
          ss += (row[j] - mean) * (row[j] - mean);
        for (int64_t j = 0; j < cols; ++j)
          row[j] = normalize(row[j], mean, ss / cols, n.eps, state(0)[j],
                             state(1)[j]);
      }
      break;
    }
    case OpKind::Sum:
    case OpKind::Mean: {
      // The input as [outer, len, inner] around the reduced axis (all
      // axes: one run of every element).
      const Tensor &a = in(0);
      int64_t outer = 1, len = (int64_t)a.data.size(), inner = 1;
      if (n.axis) {
        len = a.shape[*n.axis];
        for (int64_t d = 0; d < *n.axis; ++d)
          outer *= a.shape[d];
        for (size_t d = *n.axis + 1; d < a.shape.size(); ++d)
          inner *= a.shape[d];
      }
      r.data.assign(outer * inner, 0.0);
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t k = 0; k < len; ++k)
          for (int64_t i = 0; i < inner; ++i)
            r.data[o * inner + i] += a.data[(o * len + k) * inner + i];
      if (n.kind == OpKind::Mean)
        for (double &e : r.data)
          e /= (double)len;
      break;
    }
    }
    assert(Tensor::numel(n.shape) == (int64_t)r.data.size());
    r.shape = n.shape;
    v.push_back(std::move(r));
  }

  // The loss, per sample, and the prediction the compiled code returns.
  const Loss &loss = model.loss;
  const Tensor &p = v[loss.prediction];
  const int64_t K = outputDim();
  res.sampleLoss.assign(B, 0.0);
  res.output = p.data;
  for (int64_t b = 0; b < B; ++b) {
    const double *z = &p.data[b * K];
    const double *t = &y[b * targetDim()];
    double &l = res.sampleLoss[b];
    if (loss.kind == LossKind::Expression) {
      l = v[loss.perSample].data[b];
      res.meanLoss += l / B;
      continue;
    }
    switch (loss.kind) {
    case LossKind::Expression:
      break;
    case LossKind::CrossEntropy: {
      double mx = *std::max_element(z, z + K), s = 0;
      for (int64_t j = 0; j < K; ++j)
        s += std::exp(z[j] - mx);
      double lse = mx + std::log(s), a = loss.labelSmoothing;
      int64_t label = (int64_t)t[0];
      l = lse;
      for (int64_t j = 0; j < K; ++j)
        l -= ((1 - a) * (j == label ? 1.0 : 0.0) + a / K) * z[j];
      for (int64_t j = 0; j < K; ++j)
        res.output[b * K + j] = std::exp(z[j] - lse);
      break;
    }
    case LossKind::BCE:
    case LossKind::MultiLabelBCE:
      for (int64_t k = 0; k < K; ++k) {
        if (loss.fromLogits) {
          l += std::max(z[k], 0.0) - z[k] * t[k] +
               std::log1p(std::exp(-std::fabs(z[k])));
          res.output[b * K + k] = sigmoid(z[k]);
        } else {
          l -= t[k] * std::max(std::log(z[k]), -100.0) +
               (1 - t[k]) * std::max(std::log(1 - z[k]), -100.0);
        }
      }
      break;
    case LossKind::MSE:
      for (int64_t k = 0; k < K; ++k)
        l += (z[k] - t[k]) * (z[k] - t[k]);
      break;
    case LossKind::MAE:
      for (int64_t k = 0; k < K; ++k) {
        kink(z[k] - t[k]);
        l += std::fabs(z[k] - t[k]);
      }
      break;
    case LossKind::Huber:
      for (int64_t k = 0; k < K; ++k) {
        double a = std::fabs(z[k] - t[k]), d = loss.delta;
        kink(a - d);
        l += a <= d ? 0.5 * a * a : d * (a - 0.5 * d);
      }
      break;
    }
    // Every loss but cross-entropy combines the outputs by `reduction`.
    if (loss.kind != LossKind::CrossEntropy &&
        loss.reduction == LossReduction::Mean)
      l /= K;
    res.meanLoss += l / B;
  }
  return res;
}

std::vector<double> Reference::predictRows(const RefStates &states,
                                           const std::vector<double> &x,
                                           int64_t rows) const {
  const int64_t B = batchSize(), D = inputDim(), P = outputDim();
  std::vector<double> out(rows * P);
  std::vector<double> y(B * targetDim(), 0.0); // the loss is not looked at
  for (int64_t first = 0; first < rows; first += B) {
    int64_t n = std::min(B, rows - first);
    std::vector<double> xb(B * D, 0.0);
    std::copy(x.begin() + first * D, x.begin() + (first + n) * D, xb.begin());
    RefResult r = run(states, xb, y, Mode::Inference);
    std::copy(r.output.begin(), r.output.begin() + n * P,
              out.begin() + first * P);
  }
  return out;
}

std::vector<double> kiln::e2e::finiteDifferences(
    const Reference &ref, RefStates &states, size_t t,
    const std::vector<size_t> &elements, const std::vector<double> &x,
    const std::vector<double> &y, uint64_t seed, int64_t step, double h) {
  std::vector<double> g;
  for (size_t i : elements) {
    double saved = states[t][i];
    states[t][i] = saved + h;
    double up = ref.run(states, x, y, Mode::Training, seed, step).meanLoss;
    states[t][i] = saved - h;
    double down = ref.run(states, x, y, Mode::Training, seed, step).meanLoss;
    states[t][i] = saved;
    g.push_back((up - down) / (2 * h));
  }
  return g;
}

void kiln::e2e::updateRunningStats(const Model &model, const RefResult &r,
                                   RefStates &states) {
  for (const BatchStats &stats : r.batchStats) {
    const Node &n = model.nodes[stats.node];
    std::vector<double> &mean = states[n.states[2]];
    std::vector<double> &var = states[n.states[3]];
    for (size_t j = 0; j < mean.size(); ++j) {
      mean[j] = (1 - n.momentum) * mean[j] + n.momentum * stats.mean[j];
      var[j] = (1 - n.momentum) * var[j] + n.momentum * stats.unbiasedVar[j];
    }
  }
}
