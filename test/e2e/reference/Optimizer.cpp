//===- Optimizer.cpp - float64 optimizer updates and schedules ------------===//

#include "Optimizer.h"

#include <cmath>

using namespace kiln;
using namespace kiln::e2e;

double kiln::e2e::scheduledLR(const Training &training, int64_t epoch) {
  const Schedule &s = training.schedule;
  double lr0 = training.optimizer.lr;
  switch (s.kind) {
  case ScheduleKind::Constant:
    return lr0;
  case ScheduleKind::StepDecay:
    return lr0 * std::pow(s.gamma, (double)(epoch / s.stepSize));
  case ScheduleKind::ExponentialDecay:
    return lr0 * std::pow(s.gamma, (double)epoch);
  case ScheduleKind::ExpDecay:
    return lr0 * std::exp(-s.k * (double)epoch);
  }
  return lr0;
}

RefOptimizer::RefOptimizer(const Training &training, size_t numel)
    : training(training), first(numel, 0.0), second(numel, 0.0) {}

void RefOptimizer::update(std::vector<double> &w, std::vector<double> g,
                          int64_t step, int64_t epoch) {
  const Optimizer &o = training.optimizer;
  double lr = scheduledLR(training, epoch);
  for (size_t i = 0; i < w.size(); ++i) {
    g[i] += training.weightDecay * w[i];
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
    case OptimizerKind::Adam: {
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
    return {{"exp_avg", &first}, {"exp_avg_sq", &second}};
  }
  return {};
}
