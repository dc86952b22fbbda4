//===- Model.h - The checked, elaborated model of a spec --------*- C++ -*-===//
//
// Sema's output and MLIRGen's input. Blocks are inlined, names resolved,
// shapes computed and every argument checked, so that MLIRGen is a 1:1
// translation that cannot fail on user input.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_MODEL_H
#define KILN_FRONTEND_MODEL_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kiln {

/// 1-based line and column in the spec file (Model::file).
struct SourceLoc {
  unsigned line = 0;
  unsigned col = 0;
};

enum class InitKind {
  Zeros,
  Ones,
  Normal,  // a = mean, b = std
  Uniform, // a = low, b = high
  XavierUniform,
  XavierNormal,
  HeNormal,
  HeUniform,
};

struct InitSpec {
  InitKind kind = InitKind::Zeros;
  double a = 0.0;
  double b = 0.0;
};

/// What a tensor of the state buffer is for. Parameters are trained;
/// running statistics are updated by batch norm in training and read in
/// inference. Optimizer state is added later by the optimizer lowering.
enum class StateRole { Parameter, RunningMean, RunningVar };

struct StateTensor {
  std::string name;           // checkpoint name, e.g. "l1.dense0.weight"
  std::vector<int64_t> shape; // dense weights are [out, in]
  StateRole role = StateRole::Parameter;
  InitSpec init;
  int64_t fanIn = 1;
  int64_t fanOut = 1;
  SourceLoc loc;
};

enum class OpKind {
  Input,    // the batch of inputs: shape [B, D]
  Target,   // the batch of targets: shape [B] for class labels, else [B, K]
  Load,     // reads states[0]
  Constant, // scalar `value`, shape {}
  Dense,    // operands {x}; states {weight, bias} (bias absent if disabled)
  MatMul,   // operands {a, b}: [M, K] x [K, N]
  Add,      // binary ops broadcast numpy-style (right-aligned)
  Sub,
  Mul,
  Div,
  Neg,
  Exp,
  Log,
  Sqrt,
  Abs,
  Sigmoid,
  Tanh,
  Relu,
  LeakyRelu, // alpha
  Elu,       // alpha
  Gelu,      // approximate: x * sigmoid(1.702 x) instead of x * Phi(x)
  Softplus,  // beta
  Swish,     // beta
  Softmax,   // over the last axis
  Dropout,   // p
  BatchNorm, // eps, momentum; states {weight, bias, running_mean, running_var}
  LayerNorm, // eps; states {weight, bias}
  Sum,       // over `axis`, or over all axes when it is unset
  Mean,      // likewise
};

/// One value of the forward graph. Nodes are in definition order, so every
/// operand id is smaller than the id of the node that uses it.
struct Node {
  OpKind kind = OpKind::Constant;
  SourceLoc loc;
  std::vector<int64_t> shape;     // full shape; batch tensors lead with B
  std::vector<unsigned> operands; // ids into Model::nodes
  std::vector<unsigned> states;   // ids into Model::states
  double value = 0.0;             // Constant
  double alpha = 0.0;             // LeakyRelu, Elu
  double beta = 1.0;              // Softplus, Swish
  bool approximate = false;       // Gelu
  double p = 0.0;                 // Dropout
  double eps = 1e-5;              // BatchNorm, LayerNorm
  double momentum = 0.1;          // BatchNorm (PyTorch's convention)
  std::optional<int64_t> axis;    // Sum, Mean: non-negative; unset: all
};

enum class TargetKind {
  Class,      // one column of integer labels in [0, size)
  Binary,     // one column of 0/1, size == 1
  MultiLabel, // `size` columns of 0/1
  Real,       // `size` columns of reals
};

struct Input {
  std::string name;
  int64_t size = 0; // features per sample
  SourceLoc loc;
};

struct Target {
  std::string name;
  TargetKind kind = TargetKind::Real;
  int64_t size = 1; // number of classes for Class, else columns
  SourceLoc loc;
};

enum class LossKind {
  CrossEntropy,  // softmax cross-entropy on logits, with label smoothing
  BCE,           // binary target; fromLogits selects the stable form
  MultiLabelBCE, // over the labels per `reduction`, mean over the batch
  MSE,
  MAE,
  Huber,
  Expression, // a block of the spec: `perSample` is its loss per row
};

/// How a loss combines a sample's outputs; the batch is always averaged.
enum class LossReduction { Mean, Sum };

struct Loss {
  LossKind kind = LossKind::MSE;
  unsigned prediction = 0; // node id: the network's output
  unsigned target = 0;     // node id of the Target node
  unsigned perSample = 0;  // Expression: node id of the per-row loss, [B]
  bool fromLogits = false;
  double labelSmoothing = 0.0;
  double delta = 1.0; // Huber
  /// Over a sample's outputs: multilabel_bce sums (the lecture's formula),
  /// mse, mae and huber average; `reduction = ...` says otherwise.
  LossReduction reduction = LossReduction::Mean;
  SourceLoc loc;
};

enum class OptimizerKind {
  SGD,
  Momentum,
  Nesterov,
  Adagrad,
  RMSProp,
  Adam,
  AdamW, // Adam with decoupled weight decay (Loshchilov & Hutter)
};

struct Optimizer {
  OptimizerKind kind = OptimizerKind::Adam;
  double lr = 1e-3;
  double momentum = 0.9; // Momentum, Nesterov
  double rho = 0.99;     // RMSProp
  double beta1 = 0.9;    // Adam
  double beta2 = 0.999;  // Adam
  double eps = 1e-8;     // Adagrad, RMSProp, Adam, AdamW
  double weightDecay = 0.01; // AdamW's decoupled decay
  SourceLoc loc;
};

/// Schedules are functions of a time t counting from 0: the epoch, or the
/// optimizer step minus one (docs/optimizers.md).
enum class ScheduleKind {
  Constant,
  StepDecay,        // lr * gamma^floor(t / stepSize)
  ExponentialDecay, // lr * gamma^t
  ExpDecay,         // lr * exp(-k * t)
  LinearDecay,      // lr * (s + (e - s) * min(t, iters) / iters)
  Cosine,           // min + (lr - min) (1 + cos(pi t / tMax)) / 2
};

enum class ScheduleUnit { Epoch, Step };

struct Schedule {
  ScheduleKind kind = ScheduleKind::Constant;
  ScheduleUnit unit = ScheduleUnit::Epoch;
  double gamma = 1.0;
  int64_t stepSize = 1;
  double k = 0.0;
  double startFactor = 1.0; // LinearDecay
  double endFactor = 0.0;   // LinearDecay
  int64_t iters = 1;        // LinearDecay
  int64_t tMax = 1;         // Cosine
  double minLr = 0.0;       // Cosine
  /// A linear warmup from startFactor * lr to lr over the first
  /// `warmupIters` units, after which the schedule starts at t = 0.
  int64_t warmupIters = 0;
  double warmupStartFactor = 1.0 / 3.0; // torch.optim.lr_scheduler.LinearLR's
  SourceLoc loc;
};

/// The parameters weight decay applies to: those of rank >= 2 (dense
/// weights and matrix params: the lecture's sum over W), or all of them.
enum class DecayScope { Weights, All };

enum class Metric { Loss, Accuracy, MSE, MAE, R2 };

struct EarlyStopping {
  bool enabled = false;
  Metric monitor = Metric::Loss; // always measured on the validation set
  int64_t patience = 5;
  double minDelta = 0.0;
  SourceLoc loc;
};

struct Training {
  Optimizer optimizer;
  Schedule schedule;
  double weightDecay = 0.0; // coupled: lambda w added to the gradient
  DecayScope decayScope = DecayScope::Weights;
  double clipNorm = 0.0; // > 0: gradients clipped to this global L2 norm
  int64_t batchSize = 32;
  int64_t epochs = 10;
  EarlyStopping earlyStopping;
  uint64_t seed = 0;
};

/// A CSV column, by header name or by 0-based index.
struct ColumnRef {
  std::string name;   // empty when selected by index
  int64_t index = -1; // -1 when selected by name
};

struct DataSource {
  std::string trainPath; // as written in the spec, relative to its folder
  std::string testPath;  // optional
  std::vector<ColumnRef> targets;
  std::vector<ColumnRef> features; // empty: every column that is no target
  double valSplit = 0.0;
  SourceLoc loc;
};

struct Model {
  std::string name;
  std::string file; // the spec's path, as given to the frontend
  Input input;
  Target target;
  std::vector<StateTensor> states;
  std::vector<Node> nodes;
  Loss loss;
  Training training;
  DataSource data;
};

} // namespace kiln

#endif // KILN_FRONTEND_MODEL_H
