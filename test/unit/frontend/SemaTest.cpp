//===- SemaTest.cpp - What Sema puts into kiln::Model ---------------------===//

#include "TestUtil.h"

#include <gtest/gtest.h>

using namespace kiln;
using kiln::test::SpecRun;

namespace {

using Shape = std::vector<int64_t>;

std::unique_ptr<SpecRun> checked(const std::string &text) {
  auto run = SpecRun::check(text);
  EXPECT_TRUE(run->model.has_value()) << run->diagnostics();
  return run;
}

const StateTensor *findState(const Model &m, const std::string &name) {
  for (const StateTensor &s : m.states)
    if (s.name == name)
      return &s;
  return nullptr;
}

std::vector<std::string> stateNames(const Model &m) {
  std::vector<std::string> names;
  for (const StateTensor &s : m.states)
    names.push_back(s.name);
  return names;
}

std::vector<OpKind> nodeKinds(const Model &m) {
  std::vector<OpKind> kinds;
  for (const Node &n : m.nodes)
    kinds.push_back(n.kind);
  return kinds;
}

TEST(Sema, DigitsExample) {
  auto run = checked(test::digitsSpec());
  ASSERT_TRUE(run->model);
  const Model &m = *run->model;
  EXPECT_EQ(m.name, "digits");
  EXPECT_EQ(m.file, "test.kiln");
  EXPECT_EQ(m.input.name, "x");
  EXPECT_EQ(m.input.size, 64);
  EXPECT_EQ(m.input.loc.line, 4u);
  EXPECT_EQ(m.target.name, "y");
  EXPECT_EQ(m.target.kind, TargetKind::Class);
  EXPECT_EQ(m.target.size, 10);

  using K = OpKind;
  EXPECT_EQ(nodeKinds(m),
            (std::vector<K>{K::Input, K::Target, K::Dense, K::Relu, K::Dropout,
                            K::Dense, K::Relu, K::Dropout, K::Dense}));
  EXPECT_EQ(m.nodes[0].shape, (Shape{32, 64}));
  EXPECT_EQ(m.nodes[1].shape, (Shape{32}));
  EXPECT_EQ(m.nodes[2].shape, (Shape{32, 128}));
  EXPECT_EQ(m.nodes[5].shape, (Shape{32, 64}));
  EXPECT_EQ(m.nodes[8].shape, (Shape{32, 10}));
  EXPECT_DOUBLE_EQ(m.nodes[4].p, 0.1);
  for (unsigned i = 1; i < m.nodes.size(); ++i)
    for (unsigned op : m.nodes[i].operands)
      EXPECT_LT(op, i);
  EXPECT_EQ(m.nodes[3].operands, (std::vector<unsigned>{2}));

  EXPECT_EQ(stateNames(m),
            (std::vector<std::string>{"l1.dense0.weight", "l1.dense0.bias",
                                      "l2.dense0.weight", "l2.dense0.bias",
                                      "out.weight", "out.bias"}));
  const StateTensor *w1 = findState(m, "l1.dense0.weight");
  ASSERT_NE(w1, nullptr);
  EXPECT_EQ(w1->shape, (Shape{128, 64})); // [out, in] like torch
  EXPECT_EQ(w1->fanIn, 64);
  EXPECT_EQ(w1->fanOut, 128);
  EXPECT_EQ(w1->init.kind, InitKind::HeUniform);
  EXPECT_EQ(w1->role, StateRole::Parameter);
  const StateTensor *out = findState(m, "out.weight");
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(out->init.kind, InitKind::XavierUniform);
  EXPECT_EQ(findState(m, "out.bias")->init.kind, InitKind::Zeros);
  EXPECT_EQ(m.nodes[8].states, (std::vector<unsigned>{4, 5}));

  EXPECT_EQ(m.loss.kind, LossKind::CrossEntropy);
  EXPECT_EQ(m.loss.prediction, 8u);
  EXPECT_EQ(m.loss.target, 1u);
  EXPECT_DOUBLE_EQ(m.loss.labelSmoothing, 0.05);

  const Training &t = m.training;
  EXPECT_EQ(t.optimizer.kind, OptimizerKind::Adam);
  EXPECT_DOUBLE_EQ(t.optimizer.lr, 0.001);
  EXPECT_DOUBLE_EQ(t.optimizer.beta2, 0.999);
  EXPECT_EQ(t.schedule.kind, ScheduleKind::StepDecay);
  EXPECT_EQ(t.schedule.stepSize, 20);
  EXPECT_DOUBLE_EQ(t.schedule.gamma, 0.5);
  EXPECT_DOUBLE_EQ(t.weightDecay, 1e-4);
  EXPECT_EQ(t.batchSize, 32);
  EXPECT_EQ(t.epochs, 60);
  EXPECT_TRUE(t.earlyStopping.enabled);
  EXPECT_EQ(t.earlyStopping.monitor, Metric::Accuracy);
  EXPECT_EQ(t.earlyStopping.patience, 10);
  EXPECT_DOUBLE_EQ(t.earlyStopping.minDelta, 0.001);
  EXPECT_EQ(t.seed, 0u);

  EXPECT_EQ(m.data.trainPath, "data/digits_train.csv");
  EXPECT_EQ(m.data.testPath, "data/digits_test.csv");
  ASSERT_EQ(m.data.targets.size(), 1u);
  EXPECT_EQ(m.data.targets[0].name, "target");
  EXPECT_EQ(m.data.targets[0].index, -1);
  EXPECT_TRUE(m.data.features.empty());
  EXPECT_DOUBLE_EQ(m.data.valSplit, 0.1);
}

const char *kMinimal = "model m\ninput x: [5]\ntarget y: real(2)\n";

TEST(Sema, DefaultsWithoutTrainAndDataSections) {
  auto run = checked(std::string(kMinimal) + "loss mse(x -> dense(2), y)\n");
  const Model &m = *run->model;
  EXPECT_EQ(m.training.batchSize, 32);
  EXPECT_EQ(m.training.epochs, 10);
  EXPECT_EQ(m.training.optimizer.kind, OptimizerKind::Adam);
  EXPECT_DOUBLE_EQ(m.training.optimizer.lr, 1e-3);
  EXPECT_EQ(m.training.schedule.kind, ScheduleKind::Constant);
  EXPECT_FALSE(m.training.earlyStopping.enabled);
  ASSERT_EQ(m.data.targets.size(), 1u);
  EXPECT_EQ(m.data.targets[0].name, "target");
  EXPECT_EQ(m.target.kind, TargetKind::Real);
  EXPECT_EQ(m.nodes[1].shape, (Shape{32, 2}));
  EXPECT_EQ(stateNames(m),
            (std::vector<std::string>{"dense0.weight", "dense0.bias"}));
}

TEST(Sema, BatchSizeIsTheLeadingDimension) {
  auto run = checked(std::string(kMinimal) +
                     "loss mse(x -> dense(2), y)\ntrain { batch_size = 7 }\n");
  const Model &m = *run->model;
  EXPECT_EQ(m.nodes[0].shape, (Shape{7, 5}));
  EXPECT_EQ(m.nodes[1].shape, (Shape{7, 2}));
  EXPECT_EQ(m.nodes[2].shape, (Shape{7, 2}));
}

TEST(Sema, LayerNamesCountersAndScopes) {
  auto run = checked(std::string(kMinimal) +
                     "block inner(h) { return h -> dense(5) -> dense(5) }\n"
                     "block outer(h) { return h -> inner -> inner as named }\n"
                     "z = x -> dense(5) -> outer -> outer as o -> dense(5) as "
                     "last -> dense(2)\n"
                     "loss mse(z, y)\n");
  EXPECT_EQ(stateNames(*run->model),
            (std::vector<std::string>{
                "dense0.weight",
                "dense0.bias",
                "outer0.inner0.dense0.weight",
                "outer0.inner0.dense0.bias",
                "outer0.inner0.dense1.weight",
                "outer0.inner0.dense1.bias",
                "outer0.named.dense0.weight",
                "outer0.named.dense0.bias",
                "outer0.named.dense1.weight",
                "outer0.named.dense1.bias",
                "o.inner0.dense0.weight",
                "o.inner0.dense0.bias",
                "o.inner0.dense1.weight",
                "o.inner0.dense1.bias",
                "o.named.dense0.weight",
                "o.named.dense0.bias",
                "o.named.dense1.weight",
                "o.named.dense1.bias",
                "last.weight",
                "last.bias",
                // The named layer took index 1: adding `as` renames nothing.
                "dense2.weight",
                "dense2.bias",
            }));
}

TEST(Sema, ParamsAndMatmul) {
  auto run = checked(std::string(kMinimal) +
                     "param w: [5, 2] = he_normal\n"
                     "param b: [2]\n"
                     "param s: []\n"
                     "loss mse(x @ w + b * s, y)\n");
  const Model &m = *run->model;
  const StateTensor *w = findState(m, "w");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->shape, (Shape{5, 2}));
  EXPECT_EQ(w->fanIn, 5);
  EXPECT_EQ(w->fanOut, 2);
  EXPECT_EQ(w->init.kind, InitKind::HeNormal);
  const StateTensor *b = findState(m, "b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->init.kind, InitKind::Zeros); // rank 1 default
  EXPECT_EQ(b->fanIn, 2);
  EXPECT_EQ(b->fanOut, 2);
  EXPECT_EQ(findState(m, "s")->shape, Shape{});
  using K = OpKind;
  EXPECT_EQ(nodeKinds(m), (std::vector<K>{K::Input, K::Target, K::Load,
                                          K::Load, K::Load, K::MatMul, K::Mul,
                                          K::Add}));
  EXPECT_EQ(m.nodes[5].shape, (Shape{32, 2}));
  EXPECT_EQ(m.nodes[6].shape, (Shape{2}));
  EXPECT_EQ(m.nodes[2].states.size(), 1u);
}

TEST(Sema, DefaultInitOfRank2ParamIsXavier) {
  auto run = checked(std::string(kMinimal) +
                     "param w: [5, 2]\nloss mse(matmul(x, w), y)\n");
  EXPECT_EQ(findState(*run->model, "w")->init.kind, InitKind::XavierUniform);
}

TEST(Sema, InitializerArguments) {
  auto run = checked(
      std::string(kMinimal) +
      "z = x -> dense(3, init = normal(std = 0.02), bias_init = uniform(-1, "
      "high = 2)) -> dense(2, bias = false, init = normal(1, 3))\n"
      "loss mse(z, y)\n");
  const Model &m = *run->model;
  const StateTensor *w = findState(m, "dense0.weight");
  EXPECT_EQ(w->init.kind, InitKind::Normal);
  EXPECT_DOUBLE_EQ(w->init.a, 0.0);
  EXPECT_DOUBLE_EQ(w->init.b, 0.02);
  const StateTensor *b = findState(m, "dense0.bias");
  EXPECT_EQ(b->init.kind, InitKind::Uniform);
  EXPECT_DOUBLE_EQ(b->init.a, -1.0);
  EXPECT_DOUBLE_EQ(b->init.b, 2.0);
  EXPECT_EQ(findState(m, "dense1.bias"), nullptr);
  EXPECT_DOUBLE_EQ(findState(m, "dense1.weight")->init.a, 1.0);
  EXPECT_EQ(m.nodes.back().states.size(), 1u);
}

TEST(Sema, NormalizationStates) {
  auto run = checked(std::string(kMinimal) +
                     "z = x -> batchnorm(momentum = 0.2) as bn -> layernorm(eps "
                     "= 1e-3) -> dense(2)\nloss mse(z, y)\n");
  const Model &m = *run->model;
  EXPECT_EQ(stateNames(m),
            (std::vector<std::string>{
                "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var",
                "layernorm0.weight", "layernorm0.bias", "dense0.weight",
                "dense0.bias"}));
  EXPECT_EQ(m.states[0].init.kind, InitKind::Ones);
  EXPECT_EQ(m.states[1].init.kind, InitKind::Zeros);
  EXPECT_EQ(m.states[2].role, StateRole::RunningMean);
  EXPECT_EQ(m.states[2].init.kind, InitKind::Zeros);
  EXPECT_EQ(m.states[3].role, StateRole::RunningVar);
  EXPECT_EQ(m.states[3].init.kind, InitKind::Ones);
  EXPECT_EQ(m.states[0].shape, Shape{5});
  const Node &bn = m.nodes[2];
  EXPECT_EQ(bn.kind, OpKind::BatchNorm);
  EXPECT_DOUBLE_EQ(bn.momentum, 0.2);
  EXPECT_DOUBLE_EQ(bn.eps, 1e-5);
  EXPECT_EQ(bn.states, (std::vector<unsigned>{0, 1, 2, 3}));
  EXPECT_DOUBLE_EQ(m.nodes[3].eps, 1e-3);
}

TEST(Sema, ActivationAttributesAndConstants) {
  auto run = checked(std::string(kMinimal) +
                     "z = (x -> leaky_relu(alpha = 0.2) -> gelu(approximate = "
                     "true) -> softplus(beta = 2) -> swish -> softmax) * 2 - "
                     "-1\nloss mse(z -> elu -> elu(0.5) -> dense(2), y)\n");
  const Model &m = *run->model;
  using K = OpKind;
  EXPECT_EQ(nodeKinds(m),
            (std::vector<K>{K::Input, K::Target, K::LeakyRelu, K::Gelu,
                            K::Softplus, K::Swish, K::Softmax, K::Constant,
                            K::Mul, K::Constant, K::Sub, K::Elu, K::Elu,
                            K::Dense}));
  EXPECT_DOUBLE_EQ(m.nodes[11].alpha, 1.0); // elu's default
  EXPECT_DOUBLE_EQ(m.nodes[12].alpha, 0.5);
  EXPECT_DOUBLE_EQ(m.nodes[2].alpha, 0.2);
  EXPECT_TRUE(m.nodes[3].approximate);
  EXPECT_DOUBLE_EQ(m.nodes[4].beta, 2.0);
  EXPECT_DOUBLE_EQ(m.nodes[5].beta, 1.0);
  EXPECT_DOUBLE_EQ(m.nodes[7].value, 2.0);
  EXPECT_EQ(m.nodes[7].shape, Shape{});
  EXPECT_DOUBLE_EQ(m.nodes[9].value, -1.0); // `- -1`: the literal is folded
}

TEST(Sema, NumbersFoldAndIntegralRealsAreIntegers) {
  auto run = checked(std::string(kMinimal) +
                     "loss mse(x -> dense(4.0 / 2), y)\n"
                     "train { epochs = 2 * 5; batch_size = 1e1 }\n");
  EXPECT_EQ(run->model->training.epochs, 10);
  EXPECT_EQ(run->model->training.batchSize, 10);
}

TEST(Sema, DeadValuesAreDroppedWithAWarning) {
  auto run = checked(std::string(kMinimal) +
                     "param unused: [3]\n"
                     "side = x -> dense(7)\n"
                     "z = x -> dense(2)\n"
                     "loss mse(z, y)\n");
  const Model &m = *run->model;
  using K = OpKind;
  EXPECT_EQ(nodeKinds(m), (std::vector<K>{K::Input, K::Target, K::Dense}));
  EXPECT_EQ(stateNames(m),
            (std::vector<std::string>{"dense1.weight", "dense1.bias"}));
  EXPECT_EQ(m.nodes[2].states, (std::vector<unsigned>{0, 1}));
  EXPECT_EQ(m.loss.prediction, 2u);
  EXPECT_EQ(run->diag.getNumWarnings(), 2u);
  EXPECT_NE(run->diagnostics().find("'side' is not used by the loss"),
            std::string::npos);
}

TEST(Sema, PredictionWithoutTheInputIsAWarningAndKeepsTheInput) {
  auto run = checked(std::string(kMinimal) +
                     "param p: [32, 2]\nloss mse(p - 0, y)\n");
  ASSERT_TRUE(run->model);
  const Model &m = *run->model;
  EXPECT_EQ(m.nodes[0].kind, OpKind::Input); // always kept
  EXPECT_NE(run->diagnostics().find(
                "warning: the prediction does not depend on input 'x'"),
            std::string::npos)
      << run->diagnostics();
}

TEST(Sema, Losses) {
  auto bce = checked("model m\ninput x: [3]\ntarget y: binary\n"
                     "loss bce(x -> dense(1), y, from_logits = true)\n");
  EXPECT_EQ(bce->model->loss.kind, LossKind::BCE);
  EXPECT_TRUE(bce->model->loss.fromLogits);
  EXPECT_EQ(bce->model->nodes[1].shape, (Shape{32, 1}));
  auto multi = checked("model m\ninput x: [3]\ntarget y: multilabel(4)\n"
                       "loss multilabel_bce(x -> dense(4) -> sigmoid, y)\n"
                       "data { target = [0, 1, 2, \"d\"] }\n");
  EXPECT_EQ(multi->model->loss.kind, LossKind::MultiLabelBCE);
  EXPECT_FALSE(multi->model->loss.fromLogits);
  ASSERT_EQ(multi->model->data.targets.size(), 4u);
  EXPECT_EQ(multi->model->data.targets[2].index, 2);
  EXPECT_EQ(multi->model->data.targets[3].name, "d");
  auto huber = checked("model m\ninput x: [3]\ntarget y: real\n"
                       "loss huber(x -> dense(1), y, delta = 0.5)\n");
  EXPECT_EQ(huber->model->loss.kind, LossKind::Huber);
  EXPECT_DOUBLE_EQ(huber->model->loss.delta, 0.5);
  EXPECT_EQ(huber->model->target.size, 1);
  auto mae = checked("model m\ninput x: [3]\ntarget y: real(2)\n"
                     "loss mae(x -> dense(2), y)\n");
  EXPECT_EQ(mae->model->loss.kind, LossKind::MAE);
}

TEST(Sema, OptimizersAndSchedules) {
  auto spec = [](const std::string &train) {
    return checked(std::string(kMinimal) + "loss mse(x -> dense(2), y)\n" +
                   "train { " + train + " }\n");
  };
  auto sgd = spec("optimizer = sgd");
  EXPECT_EQ(sgd->model->training.optimizer.kind, OptimizerKind::SGD);
  EXPECT_DOUBLE_EQ(sgd->model->training.optimizer.lr, 0.01);
  auto nesterov = spec("optimizer = nesterov(momentum = 0.5)");
  EXPECT_EQ(nesterov->model->training.optimizer.kind, OptimizerKind::Nesterov);
  EXPECT_DOUBLE_EQ(nesterov->model->training.optimizer.momentum, 0.5);
  EXPECT_DOUBLE_EQ(nesterov->model->training.optimizer.lr, 0.01);
  auto adagrad = spec("optimizer = adagrad");
  EXPECT_DOUBLE_EQ(adagrad->model->training.optimizer.eps, 1e-10);
  auto rms = spec("optimizer = rmsprop(0.02, 0.9)");
  EXPECT_EQ(rms->model->training.optimizer.kind, OptimizerKind::RMSProp);
  EXPECT_DOUBLE_EQ(rms->model->training.optimizer.lr, 0.02);
  EXPECT_DOUBLE_EQ(rms->model->training.optimizer.rho, 0.9);
  EXPECT_DOUBLE_EQ(rms->model->training.optimizer.eps, 1e-8);
  auto expGamma = spec("schedule = exponential_decay(gamma = 0.9)");
  EXPECT_EQ(expGamma->model->training.schedule.kind,
            ScheduleKind::ExponentialDecay);
  EXPECT_DOUBLE_EQ(expGamma->model->training.schedule.gamma, 0.9);
  auto expK = spec("schedule = exponential_decay(k = 0.05)");
  EXPECT_EQ(expK->model->training.schedule.kind, ScheduleKind::ExpDecay);
  EXPECT_DOUBLE_EQ(expK->model->training.schedule.k, 0.05);
  auto step = spec("schedule = step_decay(10)");
  EXPECT_EQ(step->model->training.schedule.stepSize, 10);
  EXPECT_DOUBLE_EQ(step->model->training.schedule.gamma, 0.1);
  auto es = spec("early_stopping(monitor = val_r2); seed = 42");
  EXPECT_EQ(es->model->training.earlyStopping.monitor, Metric::R2);
  EXPECT_EQ(es->model->training.earlyStopping.patience, 5);
  EXPECT_EQ(es->model->training.seed, 42u);
}

// The settings of a PyTorch recipe: AdamW, a warmup before cosine per step,
// the decay scope, clipping; and the defaults they replace.
TEST(Sema, RecipeSettings) {
  auto spec = [](const std::string &train) {
    return checked(std::string(kMinimal) + "loss mse(x -> dense(2), y)\n" +
                   "train { " + train + " }\n");
  };
  auto defaults = spec("epochs = 7");
  const Training &d = defaults->model->training;
  EXPECT_EQ(d.schedule.unit, ScheduleUnit::Epoch);
  EXPECT_EQ(d.schedule.warmupIters, 0);
  EXPECT_EQ(d.decayScope, DecayScope::Weights);
  EXPECT_DOUBLE_EQ(d.clipNorm, 0.0);

  auto recipe = spec("optimizer = adamw(lr = 3e-4, weight_decay = 0.05)\n"
                     "schedule = cosine(t_max = 900, min_lr = 1e-6, per = "
                     "step)\nwarmup(iters = 100, start_factor = 0.01)\n"
                     "weight_decay_scope = all\nclip_norm = 1.5");
  const Training &t = recipe->model->training;
  EXPECT_EQ(t.optimizer.kind, OptimizerKind::AdamW);
  EXPECT_DOUBLE_EQ(t.optimizer.weightDecay, 0.05);
  EXPECT_DOUBLE_EQ(t.optimizer.beta1, 0.9);
  EXPECT_EQ(t.schedule.kind, ScheduleKind::Cosine);
  EXPECT_EQ(t.schedule.unit, ScheduleUnit::Step);
  EXPECT_EQ(t.schedule.tMax, 900);
  EXPECT_DOUBLE_EQ(t.schedule.minLr, 1e-6);
  EXPECT_EQ(t.schedule.warmupIters, 100);
  EXPECT_DOUBLE_EQ(t.schedule.warmupStartFactor, 0.01);
  EXPECT_EQ(t.decayScope, DecayScope::All);
  EXPECT_DOUBLE_EQ(t.clipNorm, 1.5);

  // Per epoch, cosine anneals over the epochs after the warmup unless told;
  // the warmup's start factor is LinearLR's default, 1/3.
  auto epochs = spec("schedule = cosine\nwarmup(iters = 2)\nepochs = 12");
  EXPECT_EQ(epochs->model->training.schedule.tMax, 10);
  EXPECT_DOUBLE_EQ(epochs->model->training.schedule.warmupStartFactor,
                   1.0 / 3.0);
  auto linear = spec("schedule = linear_decay(iters = 5, end_factor = 0.1)");
  const Schedule &l = linear->model->training.schedule;
  EXPECT_EQ(l.kind, ScheduleKind::LinearDecay);
  EXPECT_EQ(l.iters, 5);
  EXPECT_DOUBLE_EQ(l.endFactor, 0.1);
  EXPECT_DOUBLE_EQ(l.startFactor, 1.0);
  auto constantPerStep = spec("schedule = constant(per = step)");
  EXPECT_EQ(constantPerStep->model->training.schedule.unit, ScheduleUnit::Step);
}

// A loss block: the prediction is its first argument, and the per-row loss
// is what its mean over the rows averages.
TEST(Sema, ExpressionLoss) {
  auto run = checked("model m\ninput x: [3]\ntarget y: real(2)\n"
                     "block l1(p, t) { return mean(sum(abs(p - t), axis = -1)) "
                     "}\nloss l1(x -> dense(2), y)\ntrain { batch_size = 4 }\n");
  const Model &m = *run->model;
  EXPECT_EQ(m.loss.kind, LossKind::Expression);
  EXPECT_EQ(m.nodes[m.loss.prediction].kind, OpKind::Dense);
  const Node &perRow = m.nodes[m.loss.perSample];
  EXPECT_EQ(perRow.kind, OpKind::Sum);
  EXPECT_EQ(perRow.axis, 1);
  EXPECT_EQ(perRow.shape, (std::vector<int64_t>{4}));
  // mean over all elements of [4, 2]: a mean per row over axis 1.
  auto all = checked("model m\ninput x: [3]\ntarget y: real(2)\n"
                     "block l2(p, t) { return mean((p - t) * (p - t)) }\n"
                     "loss l2(x -> dense(2), y)\ntrain { batch_size = 4 }\n");
  const Node &rowMean = all->model->nodes[all->model->loss.perSample];
  EXPECT_EQ(rowMean.kind, OpKind::Mean);
  EXPECT_EQ(rowMean.axis, 1);
  EXPECT_EQ(rowMean.shape, (std::vector<int64_t>{4}));
}

TEST(Sema, LossReductions) {
  auto loss = [](const char *target, const std::string &call) {
    return checked(std::string("model m\ninput x: [3]\ntarget y: ") + target +
                   "\nloss " + call + "\n");
  };
  // The lecture's multilabel BCE sums over the labels; the regression
  // losses average over the outputs.
  EXPECT_EQ(loss("multilabel(2)", "multilabel_bce(x -> dense(2) -> sigmoid, y)")
                ->model->loss.reduction,
            LossReduction::Sum);
  EXPECT_EQ(loss("multilabel(2)",
                 "multilabel_bce(x -> dense(2), y, true, reduction = mean)")
                ->model->loss.reduction,
            LossReduction::Mean);
  EXPECT_EQ(loss("real(2)", "mae(x -> dense(2), y)")->model->loss.reduction,
            LossReduction::Mean);
  EXPECT_EQ(loss("real(2)", "mse(x -> dense(2), y, sum)")->model->loss.reduction,
            LossReduction::Sum);
}

TEST(Sema, BlockDefaultsAndArgumentsOfAnyKind) {
  auto run = checked(std::string(kMinimal) +
                     "block layer(h, n, init = he_normal, act_bias = true) {\n"
                     "  return h -> dense(n, init = init, bias = act_bias)\n"
                     "}\n"
                     "loss mse(x -> layer(3) -> layer(2, normal, false), y)\n");
  const Model &m = *run->model;
  EXPECT_EQ(stateNames(m),
            (std::vector<std::string>{"layer0.dense0.weight",
                                      "layer0.dense0.bias",
                                      "layer1.dense0.weight"}));
  EXPECT_EQ(m.states[0].init.kind, InitKind::HeNormal);
  EXPECT_EQ(m.states[2].init.kind, InitKind::Normal);
}

TEST(Sema, NodeLocations) {
  auto run = checked(std::string(kMinimal) + "z = x -> dense(2)\nloss mse(z, y)\n");
  const Node &dense = run->model->nodes[2];
  EXPECT_EQ(dense.loc.line, 4u);
  EXPECT_EQ(dense.loc.col, 10u);
  EXPECT_EQ(run->model->loss.loc.line, 5u);
  EXPECT_EQ(run->model->loss.loc.col, 6u);
}

} // namespace
