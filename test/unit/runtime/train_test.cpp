//===- train_test.cpp - Training loop, early stopping, metrics ------------===//

#include "test_util.h"

#include <cmath>
#include <cstring>
#include <random>

using namespace kiln_test;

namespace {

const kiln_model *cls = &fake_classifier_model;
const kiln_model *scr = &fake_scripted_model;

// Three well separated blobs in 4-D, label = blob.
struct Blobs {
  std::vector<float> x, y;
  kiln_dataset d{};
  Blobs(int64_t n, uint32_t seed) : x(n * 4), y(n) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> noise(0, 0.3f);
    for (int64_t r = 0; r < n; ++r) {
      int c = int(r % 3);
      y[r] = float(c);
      for (int k = 0; k < 4; ++k)
        x[r * 4 + k] = (k == c ? 2.0f : 0.0f) + noise(rng);
    }
    d = {n, 4, 1, x.data(), y.data(), nullptr};
  }
};

// The scripted model's data: n rows of zeros.
struct Zeros {
  std::vector<float> x, y;
  kiln_dataset d{};
  explicit Zeros(int64_t n) : x(n), y(n) { d = {n, 1, 1, x.data(), y.data(), nullptr}; }
};

kiln_train_options quietOptions(const kiln_model *m) {
  kiln_train_options o;
  kiln_train_options_default(m, &o);
  o.quiet = 1;
  return o;
}

TEST(Train, ClassifierLearnsSeparableData) {
  Blobs train(90, 1), test(31, 2);
  State s(cls);
  Workspace ws(cls);
  kiln_error err{};
  ASSERT_EQ(kiln_init_state(cls, s.data, 3, &err), KILN_OK);
  kiln_eval_result before, after;
  ASSERT_EQ(kiln_evaluate(cls, s.data, ws.data, &test.d, &before, &err), KILN_OK);
  kiln_train_options o = quietOptions(cls);
  o.epochs = 15;
  kiln_train_result r;
  ASSERT_EQ(kiln_train(cls, s.data, ws.data, &train.d, nullptr, &o, &r, &err),
            KILN_OK)
      << err.message;
  EXPECT_EQ(r.epochs, 15);
  EXPECT_EQ(r.steps, 15 * 12); // ceil(90 / 8) batches per epoch
  EXPECT_EQ(s.data[15], 180.0f) << "train_step saw every step";
  ASSERT_EQ(kiln_evaluate(cls, s.data, ws.data, &test.d, &after, &err), KILN_OK);
  EXPECT_EQ(after.rows, 31);
  EXPECT_LT(after.loss, before.loss);
  EXPECT_GT(after.accuracy, 0.95);
  EXPECT_TRUE(std::isnan(after.mse));
}

TEST(Train, SameSeedSameWeights) {
  Blobs train(40, 1);
  State a(cls), b(cls);
  Workspace ws(cls);
  kiln_error err{};
  kiln_train_options o = quietOptions(cls);
  o.epochs = 3;
  for (State *s : {&a, &b}) {
    ASSERT_EQ(kiln_init_state(cls, s->data, 11, &err), KILN_OK);
    ASSERT_EQ(kiln_train(cls, s->data, ws.data, &train.d, nullptr, &o, nullptr,
                         &err),
              KILN_OK);
  }
  EXPECT_EQ(std::memcmp(a.data, b.data, 16 * sizeof(float)), 0);
}

TEST(Train, EarlyStoppingRestoresTheBestEpoch) {
  fake_script_reset();
  const float val[] = {5, 4, 3, 3.5f, 3.2f, 1, 1};
  std::copy(std::begin(val), std::end(val), fake_script_val_loss);
  Zeros train(4), vald(3);
  State s(scr);
  Workspace ws(scr);
  kiln_train_options o = quietOptions(scr); // early stopping, patience 2
  kiln_train_result r;
  kiln_error err{};
  ASSERT_EQ(kiln_train(scr, s.data, ws.data, &train.d, &vald.d, &o, &r, &err),
            KILN_OK)
      << err.message;
  EXPECT_EQ(r.epochs, 5) << "epochs 4 and 5 did not improve on epoch 3";
  EXPECT_TRUE(r.stopped_early);
  EXPECT_EQ(r.best_epoch, 3);
  EXPECT_EQ(r.best_value, 3.0);
  EXPECT_EQ(s.data[0], 3.0f) << "the state of epoch 3 is back";
  EXPECT_EQ(s.data[1], 6.0f) << "including its optimizer state";
}

TEST(Train, MinDeltaAndPatience) {
  fake_script_reset();
  const float val[] = {5, 4.95f, 4.92f, 4.91f, 4.0f};
  std::copy(std::begin(val), std::end(val), fake_script_val_loss);
  Zeros train(2), vald(2);
  State s(scr);
  Workspace ws(scr);
  kiln_train_options o = quietOptions(scr);
  o.min_delta = 0.1;
  o.patience = 3;
  kiln_train_result r;
  kiln_error err{};
  ASSERT_EQ(kiln_train(scr, s.data, ws.data, &train.d, &vald.d, &o, &r, &err),
            KILN_OK);
  EXPECT_EQ(r.epochs, 4) << "improvements below min_delta do not count";
  EXPECT_EQ(r.best_epoch, 1);
  EXPECT_EQ(s.data[0], 1.0f);
  // Without early stopping all epochs run and the last state stays.
  o.early_stopping = 0;
  o.epochs = 6;
  ASSERT_EQ(kiln_train(scr, s.data, ws.data, &train.d, &vald.d, &o, &r, &err),
            KILN_OK);
  EXPECT_EQ(r.epochs, 6);
  EXPECT_EQ(s.data[0], 6.0f);
}

TEST(Train, NanLossStopsWithStepAndEpoch) {
  fake_script_reset();
  fake_script_train_loss[4] = NAN; // step 5: epoch 3 with 2 batches an epoch
  Zeros train(4);
  State s(scr);
  Workspace ws(scr);
  kiln_train_options o = quietOptions(scr);
  o.early_stopping = 0;
  kiln_error err{};
  EXPECT_EQ(kiln_train(scr, s.data, ws.data, &train.d, nullptr, &o, nullptr,
                       &err),
            KILN_ERR_NUMERIC);
  EXPECT_STREQ(err.message,
               "loss became nan at step 5 (epoch 3) on training rows 1, 2");
  fake_script_train_loss[4] = 1;
  fake_script_train_loss[0] = -INFINITY;
  EXPECT_EQ(kiln_train(scr, s.data, ws.data, &train.d, nullptr, &o, nullptr,
                       &err),
            KILN_ERR_NUMERIC);
  EXPECT_STREQ(err.message,
               "loss became -inf at step 1 (epoch 1) on training rows 1, 3");
  // Rows are those of the file when the data is a split.
  fake_script_reset();
  fake_script_train_loss[0] = NAN;
  int64_t file_rows[] = {4, 9, 11, 30};
  kiln_dataset split = train.d;
  split.source_rows = file_rows;
  o.shuffle = 0;
  EXPECT_EQ(kiln_train(scr, s.data, ws.data, &split, nullptr, &o, nullptr, &err),
            KILN_ERR_NUMERIC);
  EXPECT_STREQ(err.message,
               "loss became nan at step 1 (epoch 1) on training rows 5, 10");
  fake_script_reset();
}

// An epoch loss over 10^4 times the first step's stops the run, though it
// is finite (adam with lr 1e6 trained every epoch at chance level).
TEST(Train, DivergenceStopsTraining) {
  fake_script_reset();
  Zeros train(4); // 2 batches an epoch
  State s(scr);
  Workspace ws(scr);
  kiln_train_options o = quietOptions(scr);
  o.early_stopping = 0;
  o.epochs = 4;
  fake_script_train_loss[0] = 2;
  fake_script_train_loss[2] = fake_script_train_loss[3] = 19000; // epoch 2
  kiln_train_result r;
  kiln_error err{};
  ASSERT_EQ(kiln_train(scr, s.data, ws.data, &train.d, nullptr, &o, &r, &err),
            KILN_OK)
      << "9500 times the first loss is not divergence: " << err.message;
  fake_script_train_loss[5] = 40002; // epoch 3's mean: 20001.5 > 2e4
  EXPECT_EQ(kiln_train(scr, s.data, ws.data, &train.d, nullptr, &o, &r, &err),
            KILN_ERR_NUMERIC);
  EXPECT_STREQ(err.message,
               "training diverged: the loss of epoch 3, 20001.5000, is over "
               "10000 times the loss of the first step, 2.0000 (learning rate "
               "too high?)");
  fake_script_reset();
}

// The reference is never below the loss of a guess ignoring the inputs
// (for real targets the targets' variance), so a run starting from good
// weights is not called diverged over noise.
TEST(Train, DivergenceReferenceIsAtLeastAnUninformedGuess) {
  fake_script_reset();
  std::vector<float> x(4, 0), y = {0, 100, 0, 100}; // variance 2500
  kiln_dataset d = {4, 1, 1, x.data(), y.data(), nullptr};
  State s(scr);
  Workspace ws(scr);
  kiln_train_options o = quietOptions(scr);
  o.early_stopping = 0;
  o.epochs = 3;
  fake_script_train_loss[0] = fake_script_train_loss[1] = 1e-3f;
  fake_script_train_loss[2] = fake_script_train_loss[3] = 1e5; // < 2.5e7
  kiln_error err{};
  EXPECT_EQ(kiln_train(scr, s.data, ws.data, &d, nullptr, &o, nullptr, &err),
            KILN_OK)
      << err.message;
  fake_script_train_loss[4] = fake_script_train_loss[5] = 3e7;
  EXPECT_EQ(kiln_train(scr, s.data, ws.data, &d, nullptr, &o, nullptr, &err),
            KILN_ERR_NUMERIC);
  EXPECT_TRUE(contains(err.message, "the loss of a guess ignoring the inputs, "
                                    "2500.0000"))
      << err.message;
  fake_script_reset();
}

TEST(Train, NonFiniteValidationLossStopsTraining) {
  fake_script_reset();
  fake_script_val_loss[1] = INFINITY; // after epoch 2
  Zeros train(4), vald(2);
  State s(scr);
  Workspace ws(scr);
  kiln_train_options o = quietOptions(scr); // early stopping on
  kiln_error err{};
  EXPECT_EQ(kiln_train(scr, s.data, ws.data, &train.d, &vald.d, &o, nullptr, &err),
            KILN_ERR_NUMERIC);
  EXPECT_STREQ(err.message, "validation loss became inf after epoch 2");
  fake_script_reset();
}

TEST(Train, StepsEndInsideAnEpoch) {
  fake_script_reset();
  Zeros train(4); // 2 batches an epoch
  State s(scr);
  Workspace ws(scr);
  kiln_train_options o = quietOptions(scr);
  o.early_stopping = 0;
  o.steps = 5;
  kiln_train_result r;
  kiln_error err{};
  ASSERT_EQ(kiln_train(scr, s.data, ws.data, &train.d, nullptr, &o, &r, &err),
            KILN_OK);
  EXPECT_EQ(r.steps, 5);
  EXPECT_EQ(r.epochs, 3);
  const int64_t want[] = {0, 0, 1, 1, 2, -1};
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(fake_script_steps_seen[i], want[i]) << "step " << i + 1;
}

// A --predict-only build has no training functions: it predicts, and
// training or evaluating it is refused with a message, not a crash.
TEST(Train, PredictOnlyModelsRefuseTrainingAndEvaluation) {
  kiln_model m = fake_classifier_model;
  m.train_step = nullptr;
  m.eval_step = nullptr;
  m.num_eval_blocks = 0;
  m.eval_blocks = nullptr;
  State s(&m);
  kiln_error err{};
  ASSERT_EQ(kiln_init_state(&m, s.data, 1, &err), KILN_OK) << err.message;
  std::vector<float> x(8 * 4, 0.5f), y(8, 1.0f), out(8 * 3);
  kiln_dataset d = {8, 4, 1, x.data(), y.data(), nullptr};
  kiln_train_options o = quietOptions(&m);
  EXPECT_EQ(kiln_train(&m, s.data, nullptr, &d, nullptr, &o, nullptr, &err),
            KILN_ERR_ARGUMENT);
  EXPECT_TRUE(contains(err.message, "--predict-only")) << err.message;
  kiln_eval_result r;
  EXPECT_EQ(kiln_evaluate(&m, s.data, nullptr, &d, &r, &err),
            KILN_ERR_ARGUMENT);
  EXPECT_TRUE(contains(err.message, "cannot evaluate")) << err.message;
  EXPECT_EQ(kiln_predict_rows(&m, s.data, nullptr, x.data(), 8, out.data(),
                              &err),
            KILN_OK)
      << err.message;
  // One of the two is an inconsistent descriptor.
  m.eval_step = fake_classifier_model.eval_step;
  EXPECT_EQ(kiln_predict_rows(&m, s.data, nullptr, x.data(), 8, out.data(),
                              &err),
            KILN_ERR_ABI);
}

TEST(Train, OptionErrors) {
  Zeros train(4);
  State s(scr);
  Workspace ws(scr);
  kiln_error err{};
  kiln_train_options o = quietOptions(scr);
  EXPECT_EQ(kiln_train(scr, s.data, ws.data, &train.d, nullptr, &o, nullptr, &err),
            KILN_ERR_ARGUMENT);
  EXPECT_TRUE(contains(err.message, "early stopping needs validation data"))
      << err.message;
  o.monitor = KILN_METRIC_ACCURACY;
  EXPECT_EQ(kiln_train(scr, s.data, ws.data, &train.d, &train.d, &o, nullptr, &err),
            KILN_ERR_ARGUMENT);
  EXPECT_TRUE(contains(err.message, "cannot monitor accuracy for real targets"))
      << err.message;
  o.early_stopping = 0;
  o.epochs = 0;
  EXPECT_EQ(kiln_train(scr, s.data, ws.data, &train.d, nullptr, &o, nullptr, &err),
            KILN_ERR_ARGUMENT);
  Zeros none(0);
  o.epochs = 1;
  EXPECT_EQ(kiln_train(scr, s.data, ws.data, &none.d, nullptr, &o, nullptr, &err),
            KILN_ERR_ARGUMENT);
  EXPECT_TRUE(contains(err.message, "no rows")) << err.message;
  kiln_dataset wrong = {4, 2, 1, train.x.data(), train.y.data(), nullptr};
  EXPECT_EQ(kiln_train(scr, s.data, ws.data, &wrong, nullptr, &o, nullptr, &err),
            KILN_ERR_SHAPE);
}

std::string trainOutput(int tty, kiln_train_options *extra = nullptr) {
  fake_script_reset();
  const float val[] = {2, 1, 3};
  std::copy(std::begin(val), std::end(val), fake_script_val_loss);
  Zeros train(4), vald(2);
  State s(scr);
  Workspace ws(scr);
  kiln_train_options o = extra ? *extra : quietOptions(scr);
  o.quiet = 0;
  o.tty = tty;
  o.epochs = 3;
  o.early_stopping = 0;
  FILE *f = std::tmpfile();
  o.out = f;
  kiln_error err{};
  EXPECT_EQ(kiln_train(scr, s.data, ws.data, &train.d, &vald.d, &o, nullptr, &err),
            KILN_OK);
  std::string text = streamText(f);
  std::fclose(f);
  return text;
}

TEST(Progress, PlainLinesWithoutATerminal) {
  std::string out = trainOutput(0);
  EXPECT_FALSE(contains(out, "\033")) << out;
  EXPECT_FALSE(contains(out, "\r")) << out;
  EXPECT_TRUE(contains(out, "epoch 1/3  loss 1.0000  val_loss 2.0000  val_r2 "))
      << out;
  EXPECT_TRUE(contains(out, "epoch 3/3  loss 1.0000  val_loss 3.0000")) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 3);
}

TEST(Progress, BarOnATerminal) {
  std::string out = trainOutput(1);
  EXPECT_TRUE(contains(out, "\r\033[Kepoch 1/3 [")) << out;
  EXPECT_TRUE(contains(out, "100% loss 1.0000")) << out;
  EXPECT_TRUE(contains(out, "samples/s")) << out;
  EXPECT_TRUE(contains(out, "\r\033[Kepoch 1/3  loss 1.0000  val_loss 2.0000"))
      << "the summary replaces the bar: " << out;
}

TEST(Progress, BatchReportAndMetricsFile) {
  TempDir dir;
  kiln_train_options o = quietOptions(scr);
  o.batch_report = 1;
  std::string metrics = dir.path("m.csv");
  o.metrics_path = metrics.c_str();
  std::string out = trainOutput(0, &o);
  // The scripted model's lr is 2^-epoch - step / 100.
  EXPECT_TRUE(contains(out, "step 1  epoch 1  batch 1/2  loss 1  lr 0.99\n"))
      << out;
  EXPECT_TRUE(contains(out, "step 6  epoch 3  batch 2/2  loss 1  lr 0.19\n"))
      << out;
  std::string csv = readFile(metrics);
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "epoch,train_loss,val_loss,val_r2,lr,seconds");
  // Each epoch's row has its last step's lr.
  EXPECT_TRUE(contains(csv, "\n1,1,2,")) << csv;
  EXPECT_TRUE(contains(csv, ",0.980000019,")) << csv;
  EXPECT_TRUE(contains(csv, "\n3,1,3,")) << csv;
  EXPECT_TRUE(contains(csv, ",0.189999998,")) << csv;
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 4);
}

// Write errors of the metrics file surface at a flush: a full disk fails
// the run with the file's name instead of leaving an empty file.
TEST(Progress, MetricsFileOnAFullDiskFails) {
  fake_script_reset();
  Zeros train(4);
  State s(scr);
  Workspace ws(scr);
  kiln_train_options o = quietOptions(scr);
  o.early_stopping = 0;
  o.metrics_path = "/dev/full";
  kiln_error err{};
  EXPECT_EQ(kiln_train(scr, s.data, ws.data, &train.d, nullptr, &o, nullptr, &err),
            KILN_ERR_IO);
  EXPECT_STREQ(err.message, "/dev/full: write error: No space left on device");
}

TEST(Progress, FormatsValues) {
  char buf[32];
  kiln_format_value(buf, sizeof buf, 0.41234);
  EXPECT_STREQ(buf, "0.4123");
  kiln_format_value(buf, sizeof buf, 1.5e-5);
  EXPECT_STREQ(buf, "1.5000e-05");
  kiln_format_value(buf, sizeof buf, NAN);
  EXPECT_STREQ(buf, "nan");
}

// The metric accumulators on hand-computed examples.
TEST(Metrics, ClassificationAccuracy) {
  kiln_metrics acc;
  kiln_error err{};
  ASSERT_EQ(kiln_metrics_init(&acc, cls, &err), KILN_OK);
  float o1[] = {0.1f, 0.7f, 0.2f}, o2[] = {0.5f, 0.3f, 0.2f},
        o3[] = {0.2f, 0.2f, 0.6f};
  float t1 = 1, t2 = 2, t3 = 2;
  kiln_metrics_add(&acc, 0.5, o1, &t1);
  kiln_metrics_add(&acc, 1.0, o2, &t2);
  kiln_metrics_add(&acc, 1.5, o3, &t3);
  kiln_eval_result r;
  kiln_metrics_result(&acc, &r);
  kiln_metrics_free(&acc);
  EXPECT_EQ(r.rows, 3);
  EXPECT_DOUBLE_EQ(r.loss, 1.0);
  EXPECT_DOUBLE_EQ(r.accuracy, 2.0 / 3);
  EXPECT_TRUE(std::isnan(r.r2));
}

TEST(Metrics, BinaryAndMultilabelThresholdAtHalf) {
  kiln_metrics acc;
  kiln_error err{};
  ASSERT_EQ(kiln_metrics_init(&acc, &fake_multilabel_model, &err), KILN_OK);
  float o1[] = {0.5f, 0.49f}, t1[] = {1, 0};  // 2 of 2
  float o2[] = {0.9f, 0.1f}, t2[] = {0, 0};   // 1 of 2
  kiln_metrics_add(&acc, 0, o1, t1);
  kiln_metrics_add(&acc, 0, o2, t2);
  kiln_eval_result r;
  kiln_metrics_result(&acc, &r);
  kiln_metrics_free(&acc);
  EXPECT_DOUBLE_EQ(r.accuracy, 0.75);
  ASSERT_EQ(kiln_metrics_init(&acc, &fake_binary_model, &err), KILN_OK);
  float p1 = 0.7f, p2 = 0.2f, y1 = 1, y2 = 1;
  kiln_metrics_add(&acc, 0, &p1, &y1);
  kiln_metrics_add(&acc, 0, &p2, &y2);
  kiln_metrics_result(&acc, &r);
  kiln_metrics_free(&acc);
  EXPECT_DOUBLE_EQ(r.accuracy, 0.5);
}

TEST(Metrics, RegressionMseMaeAndPooledR2) {
  kiln_metrics acc;
  kiln_error err{};
  ASSERT_EQ(kiln_metrics_init(&acc, &fake_regressor_model, &err), KILN_OK);
  // Column 0: targets 1, 2, 3 (mean 2, SS_tot 2); column 1: 10, 20, 30
  // (mean 20, SS_tot 200). Errors: col 0 {1, 0, -1}, col 1 {0, 2, 0}.
  float t[3][2] = {{1, 10}, {2, 20}, {3, 30}};
  float o[3][2] = {{2, 10}, {2, 22}, {2, 30}};
  for (int r = 0; r < 3; ++r)
    kiln_metrics_add(&acc, 1.0, o[r], t[r]);
  kiln_eval_result r;
  kiln_metrics_result(&acc, &r);
  kiln_metrics_free(&acc);
  EXPECT_DOUBLE_EQ(r.mse, (1 + 1 + 4) / 6.0);
  EXPECT_DOUBLE_EQ(r.mae, (1 + 1 + 2) / 6.0);
  EXPECT_NEAR(r.r2, 1 - 6.0 / 202.0, 1e-12);
  EXPECT_TRUE(std::isnan(r.accuracy));
  EXPECT_EQ(kiln_eval_metric(&r, KILN_METRIC_MSE), r.mse);
  EXPECT_EQ(kiln_eval_metric(&r, KILN_METRIC_R2), r.r2);
  EXPECT_TRUE(kiln_metric_higher_is_better(KILN_METRIC_R2));
  EXPECT_FALSE(kiln_metric_higher_is_better(KILN_METRIC_MAE));
}

TEST(Metrics, EvaluateIgnoresPaddedRows) {
  // 13 rows with batch 8: the 3 padded rows of the second batch would add
  // their loss (of label 0 on zero input) if they were counted.
  Blobs data(13, 4);
  State s(cls);
  Workspace ws(cls);
  kiln_error err{};
  ASSERT_EQ(kiln_init_state(cls, s.data, 1, &err), KILN_OK);
  s.data[12] = 5; // bias towards class 0: padded rows would be right
  kiln_eval_result r;
  ASSERT_EQ(kiln_evaluate(cls, s.data, ws.data, &data.d, &r, &err), KILN_OK);
  EXPECT_EQ(r.rows, 13);
  // The reference: per-row evaluation through batches of one real row.
  double loss = 0;
  int hits = 0;
  for (int64_t i = 0; i < 13; ++i) {
    kiln_dataset one = {1, 4, 1, data.x.data() + 4 * i, data.y.data() + i, nullptr};
    kiln_eval_result ri;
    ASSERT_EQ(kiln_evaluate(cls, s.data, ws.data, &one, &ri, &err), KILN_OK);
    loss += ri.loss;
    hits += ri.accuracy == 1.0;
  }
  EXPECT_NEAR(r.loss, loss / 13, 1e-6);
  EXPECT_DOUBLE_EQ(r.accuracy, hits / 13.0);
}

} // namespace
