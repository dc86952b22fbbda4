//===- Optimizer.cpp - float64 optimizer updates and schedules ------------===//

#include "Optimizer.h"

#include <algorithm>
#include <cmath>

using namespace kiln;
using namespace kiln::e2e;

namespace {

/// The schedule without its warmup at time t (its unit, from 0).
double mainSchedule(const Schedule &s, double lr0, int64_t t) {
  switch (s.kind) {
  case ScheduleKind::Constant:
    return lr0;
  case ScheduleKind::StepDecay: // floor division: t >= 0 here
    return lr0 * std::pow(s.gamma, (double)(t / s.stepSize));
  case ScheduleKind::ExponentialDecay:
    return lr0 * std::pow(s.gamma, (double)t);
  case ScheduleKind::ExpDecay:
    return lr0 * std::exp(-s.k * (double)t);
  case ScheduleKind::LinearDecay: {
    double f = (double)std::min(t, s.iters) / (double)s.iters;
    return lr0 * (s.startFactor + (s.endFactor - s.startFactor) * f);
  }
  case ScheduleKind::Cosine:
    return s.minLr + (lr0 - s.minLr) *
                         (1 + std::cos(M_PI * (double)t / (double)s.tMax)) / 2;
  }
  return lr0;
}

} // namespace

double kiln::e2e::scheduledLR(const Training &training, int64_t step,
                              int64_t epoch) {
  const Schedule &s = training.schedule;
  double lr0 = training.optimizer.lr;
  int64_t t = s.unit == ScheduleUnit::Step ? step - 1 : epoch;
  if (t < s.warmupIters)
    return lr0 * (s.warmupStartFactor + (1 - s.warmupStartFactor) *
                                            (double)t / (double)s.warmupIters);
  return mainSchedule(s, lr0, t - s.warmupIters);
}

double kiln::e2e::clipFactor(
    const Training &training,
    const std::vector<const std::vector<double> *> &grads) {
  if (training.clipNorm <= 0)
    return 1.0;
  double sq = 0;
  for (const std::vector<double> *g : grads)
    for (double v : *g)
      sq += v * v;
  return std::min(1.0, training.clipNorm / (std::sqrt(sq) + 1e-6));
}

RefOptimizer::RefOptimizer(const Training &training, size_t numel,
                           size_t rank)
    : training(training),
      decays(training.decayScope == DecayScope::All || rank >= 2),
      first(numel, 0.0), second(numel, 0.0) {}

void RefOptimizer::update(std::vector<double> &w, std::vector<double> g,
                          int64_t step, int64_t epoch) {
  const Optimizer &o = training.optimizer;
  double lr = scheduledLR(training, step, epoch);
  for (size_t i = 0; i < w.size(); ++i) {
    if (decays) {
      g[i] += training.weightDecay * w[i];
      if (o.kind == OptimizerKind::AdamW)
        w[i] *= 1 - lr * o.weightDecay;
    }
    switch (o.kind) {
    case OptimizerKind::SGD:
      w[i] -= lr * g[i];
      break;
    case OptimizerKind::Momentum:
      first[i] = o.momentum * first[i] + g[i];
      w[i] -= lr * first[i];
      break;
    case OptimizerKind::Nesterov: // PyTorch's form
      first[i] = o.momentum * first[i] + g[i];
      w[i] -= lr * (g[i] + o.momentum * first[i]);
      break;
    case OptimizerKind::Adagrad:
      first[i] += g[i] * g[i];
      w[i] -= lr * g[i] / (std::sqrt(first[i]) + o.eps);
      break;
    case OptimizerKind::RMSProp:
      first[i] = o.rho * first[i] + (1 - o.rho) * g[i] * g[i];
      w[i] -= lr * g[i] / (std::sqrt(first[i]) + o.eps);
      break;
    case OptimizerKind::Adam:
    case OptimizerKind::AdamW: {
      first[i] = o.beta1 * first[i] + (1 - o.beta1) * g[i];
      second[i] = o.beta2 * second[i] + (1 - o.beta2) * g[i] * g[i];
      double mHat = first[i] / (1 - std::pow(o.beta1, (double)step));
      double vHat = second[i] / (1 - std::pow(o.beta2, (double)step));
      w[i] -= lr * mHat / (std::sqrt(vHat) + o.eps);
      break;
    }
    }
  }
}

std::vector<std::pair<std::string, const std::vector<double> *>>
RefOptimizer::stateTensors() const {
  switch (training.optimizer.kind) {
  case OptimizerKind::SGD:
    return {};
  case OptimizerKind::Momentum:
  case OptimizerKind::Nesterov:
    return {{"momentum_buffer", &first}};
  case OptimizerKind::Adagrad:
    return {{"sum", &first}};
  case OptimizerKind::RMSProp:
    return {{"square_avg", &first}};
  case OptimizerKind::Adam:
  case OptimizerKind::AdamW:
    return {{"exp_avg", &first}, {"exp_avg_sq", &second}};
  }
  return {};
}
