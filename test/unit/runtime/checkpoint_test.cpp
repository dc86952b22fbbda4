//===- checkpoint_test.cpp - Resumable checkpoints through the C API ------===//
//
// kiln_train with checkpoint_path / resume_path / interrupt on the fake
// models: a run stopped at any step and resumed ends in the uninterrupted
// run's state and result; the checkpoint loads as plain weights; what does
// not belong to the run is refused before the state is touched.
//
//===----------------------------------------------------------------------===//

#include "test_util.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <random>

using namespace kiln_test;

namespace {

const kiln_model *cls = &fake_classifier_model;
const kiln_model *scr = &fake_scripted_model;

struct Data {
  std::vector<float> x, y;
  kiln_dataset d{};
  Data(int64_t n, int64_t dim, uint32_t seed, int classes)
      : x(n * dim), y(n) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1, 1);
    for (float &v : x)
      v = classes ? u(rng) : 0.0f;
    for (int64_t r = 0; r < n; ++r)
      y[r] = classes ? float(r % classes) : 0.0f;
    d = {n, dim, 1, x.data(), y.data(), nullptr};
  }
};

kiln_train_options options(const kiln_model *m) {
  kiln_train_options o;
  kiln_train_options_default(m, &o);
  o.quiet = 1;
  return o;
}

std::vector<float> contents(const State &s, const kiln_model *m) {
  return std::vector<float>(s.data, s.data + m->state_size);
}

TEST(Checkpoint, ResumeAtEveryStepGivesTheUninterruptedState) {
  Data train(21, 4, 1, 3); // 3 batches of 8, the last one wrapped
  Workspace ws(cls);
  kiln_error err{};
  kiln_train_options o = options(cls);
  o.epochs = 4;
  o.seed = 9;
  State full(cls);
  ASSERT_EQ(kiln_init_state(cls, full.data, 9, &err), KILN_OK);
  kiln_train_result want;
  ASSERT_EQ(kiln_train(cls, full.data, ws.data, &train.d, nullptr, &o, &want,
                       &err),
            KILN_OK)
      << err.message;
  TempDir dir;
  std::string ck = dir.path("ck.safetensors");
  for (int64_t k = 1; k < 12; ++k) {
    State s(cls);
    ASSERT_EQ(kiln_init_state(cls, s.data, 9, &err), KILN_OK);
    kiln_train_options a = o;
    a.steps = k;
    a.checkpoint_path = ck.c_str();
    ASSERT_EQ(kiln_train(cls, s.data, ws.data, &train.d, nullptr, &a, nullptr,
                         &err),
              KILN_OK)
        << err.message;
    State t(cls); // zeros: the checkpoint brings everything
    kiln_train_options b = o;
    b.resume_path = ck.c_str();
    kiln_train_result got;
    ASSERT_EQ(kiln_train(cls, t.data, ws.data, &train.d, nullptr, &b, &got,
                         &err),
              KILN_OK)
        << err.message;
    EXPECT_EQ(contents(t, cls), contents(full, cls)) << "resumed at step " << k;
    EXPECT_EQ(got.steps, want.steps);
    EXPECT_EQ(got.epochs, want.epochs);
    EXPECT_EQ(got.train_loss, want.train_loss);
  }
}

TEST(Checkpoint, EarlyStoppingStateCarriesOver) {
  const float val[] = {5, 4, 3, 3.5f, 3.2f, 1, 1};
  Data train(4, 1, 0, 0), vald(3, 1, 0, 0); // 2 batches per epoch
  Workspace ws(scr);
  kiln_error err{};
  kiln_train_options o = options(scr); // early stopping, patience 2
  auto reset = [&] {
    fake_script_reset();
    std::copy(std::begin(val), std::end(val), fake_script_val_loss);
    for (int i = 0; i < FAKE_SCRIPT_LEN; ++i)
      fake_script_train_loss[i] = 1.0f + 0.25f * float(i % 5);
  };
  reset();
  State full(scr);
  kiln_train_result want;
  ASSERT_EQ(kiln_train(scr, full.data, ws.data, &train.d, &vald.d, &o, &want,
                       &err),
            KILN_OK);
  ASSERT_TRUE(want.stopped_early);
  ASSERT_EQ(want.best_epoch, 3);
  TempDir dir;
  std::string ck = dir.path("ck.safetensors");
  for (int64_t k = 1; k <= 10; ++k) {
    reset();
    State s(scr);
    kiln_train_options a = o;
    a.steps = k;
    a.checkpoint_path = ck.c_str();
    ASSERT_EQ(kiln_train(scr, s.data, ws.data, &train.d, &vald.d, &a, nullptr,
                         &err),
              KILN_OK)
        << err.message;
    State t(scr);
    kiln_train_options b = o;
    b.resume_path = ck.c_str();
    kiln_train_result got;
    ASSERT_EQ(kiln_train(scr, t.data, ws.data, &train.d, &vald.d, &b, &got,
                         &err),
              KILN_OK)
        << err.message;
    EXPECT_EQ(contents(t, scr), contents(full, scr)) << "resumed at step " << k;
    EXPECT_EQ(got.epochs, want.epochs) << k;
    EXPECT_EQ(got.best_epoch, want.best_epoch) << k;
    EXPECT_EQ(got.best_value, want.best_value) << k;
    EXPECT_EQ(got.stopped_early, want.stopped_early) << k;
  }
}

TEST(Checkpoint, InterruptWritesTheCheckpointAndStops) {
  Data train(21, 4, 1, 3);
  Workspace ws(cls);
  kiln_error err{};
  kiln_train_options o = options(cls);
  o.epochs = 3;
  State full(cls), s(cls), t(cls);
  ASSERT_EQ(kiln_init_state(cls, full.data, 4, &err), KILN_OK);
  ASSERT_EQ(kiln_init_state(cls, s.data, 4, &err), KILN_OK);
  ASSERT_EQ(kiln_train(cls, full.data, ws.data, &train.d, nullptr, &o, nullptr,
                       &err),
            KILN_OK);
  TempDir dir;
  std::string ck = dir.path("ck.safetensors");
  volatile sig_atomic_t stop = 1;
  kiln_train_options a = o;
  a.interrupt = &stop;
  EXPECT_EQ(kiln_train(cls, s.data, ws.data, &train.d, nullptr, &a, nullptr,
                       &err),
            KILN_ERR_INTERRUPTED);
  EXPECT_STREQ(err.message, "interrupted after step 1 (epoch 1, batch 1); no "
                            "checkpoint written");
  a.checkpoint_path = ck.c_str();
  ASSERT_EQ(kiln_init_state(cls, s.data, 4, &err), KILN_OK);
  EXPECT_EQ(kiln_train(cls, s.data, ws.data, &train.d, nullptr, &a, nullptr,
                       &err),
            KILN_ERR_INTERRUPTED);
  EXPECT_EQ(std::string(err.message),
            "interrupted after step 1 (epoch 1, batch 1); resumable checkpoint "
            "written to " + ck);
  kiln_checkpoint_info info;
  ASSERT_EQ(kiln_checkpoint_read_info(cls, ck.c_str(), &info, &err), KILN_OK)
      << err.message;
  EXPECT_EQ(info.step, 1);
  EXPECT_EQ(info.epochs_done, 0);
  EXPECT_EQ(info.batches_done, 1);
  EXPECT_EQ(info.epochs, 3);
  EXPECT_EQ(info.train_rows, 21);
  kiln_train_options b = o;
  b.resume_path = ck.c_str();
  ASSERT_EQ(kiln_train(cls, t.data, ws.data, &train.d, nullptr, &b, nullptr,
                       &err),
            KILN_OK)
      << err.message;
  EXPECT_EQ(contents(t, cls), contents(full, cls));
}

TEST(Checkpoint, LoadsAsPlainWeightsAndRefusesOtherRuns) {
  Data train(21, 4, 1, 3);
  Workspace ws(cls);
  kiln_error err{};
  kiln_train_options o = options(cls);
  o.epochs = 2;
  TempDir dir;
  std::string ck = dir.path("ck.safetensors");
  o.checkpoint_path = ck.c_str();
  State s(cls);
  ASSERT_EQ(kiln_init_state(cls, s.data, 4, &err), KILN_OK);
  ASSERT_EQ(kiln_train(cls, s.data, ws.data, &train.d, nullptr, &o, nullptr,
                       &err),
            KILN_OK);
  // Plain load: the weights, and a fresh optimizer (opt.steps, float 15).
  State w(cls);
  ASSERT_EQ(kiln_safetensors_load(cls, w.data, ck.c_str(), &err), KILN_OK)
      << err.message;
  EXPECT_EQ(std::memcmp(w.data, s.data, 15 * sizeof(float)), 0);
  EXPECT_EQ(s.data[15], 6.0f);
  EXPECT_EQ(w.data[15], 0.0f);

  // Other runs, refused with the state untouched.
  std::vector<float> before = contents(w, cls);
  kiln_train_options b = o;
  b.checkpoint_path = nullptr;
  b.resume_path = ck.c_str();
  b.seed = o.seed + 1;
  EXPECT_EQ(kiln_train(cls, w.data, ws.data, &train.d, nullptr, &b, nullptr,
                       &err),
            KILN_ERR_ARGUMENT);
  EXPECT_NE(std::string(err.message).find("has seed"), std::string::npos)
      << err.message;
  b.seed = o.seed;
  Data other(22, 4, 1, 3);
  EXPECT_EQ(kiln_train(cls, w.data, ws.data, &other.d, nullptr, &b, nullptr,
                       &err),
            KILN_ERR_ARGUMENT);
  EXPECT_NE(std::string(err.message).find("other data"), std::string::npos)
      << err.message;
  EXPECT_EQ(kiln_checkpoint_read_info(&fake_regressor_model, ck.c_str(),
                                      nullptr, &err),
            KILN_ERR_ARGUMENT);
  EXPECT_NE(std::string(err.message).find("a checkpoint of model"),
            std::string::npos)
      << err.message;
  // A weights file is no resumable checkpoint.
  std::string wf = dir.path("w.safetensors");
  ASSERT_EQ(kiln_safetensors_save(cls, s.data, wf.c_str(), &err), KILN_OK);
  b.resume_path = wf.c_str();
  EXPECT_EQ(kiln_train(cls, w.data, ws.data, &train.d, nullptr, &b, nullptr,
                       &err),
            KILN_ERR_FORMAT);
  EXPECT_NE(std::string(err.message).find("not a resumable checkpoint"),
            std::string::npos)
      << err.message;
  EXPECT_EQ(contents(w, cls), before);
  EXPECT_NE(kiln_model_fingerprint(cls), kiln_model_fingerprint(&fake_prepared_model));
}

// The classifier, with a train_step that raises the interrupt flag at a
// chosen step: a run interrupted exactly there, at every kind of step
// boundary (the last batch of an epoch included, whose epoch is then
// evaluated by the resumed run).
volatile sig_atomic_t g_stop;
int64_t g_stop_at;
const kiln_model *g_base;

void stoppingStep(float *state, uint8_t *ws, const float *x, const float *y,
                  int64_t step, int64_t epoch, int64_t seed, float *loss) {
  g_base->train_step(state, ws, x, y, step, epoch, seed, loss);
  if (step == g_stop_at)
    g_stop = 1;
}

std::vector<std::string> rowsWithoutSeconds(const std::string &text) {
  std::vector<std::string> rows;
  std::stringstream in(text);
  for (std::string l; std::getline(in, l);)
    rows.push_back(l.substr(0, l.rfind(',')));
  return rows;
}

std::string slurp(const std::string &path);

/// Interrupts a 4-epoch run of `base` (early stopping on, patience 10, a
/// metrics file) after each of its steps and resumes it.
void interruptAtEveryStep(const kiln_model *base, const kiln_dataset &train,
                          const kiln_dataset &val) {
  kiln_model m = *base;
  m.train_step = stoppingStep;
  g_base = base;
  Workspace ws(&m);
  kiln_error err{};
  TempDir dir;
  std::string ck = dir.path("ck.safetensors"), mp = dir.path("m.csv");
  kiln_train_options o = options(&m);
  o.epochs = 4;
  o.early_stopping = 1;
  o.monitor = KILN_METRIC_LOSS;
  o.patience = 10;
  o.metrics_path = mp.c_str();
  State full(&m);
  ASSERT_EQ(kiln_init_state(&m, full.data, 2, &err), KILN_OK);
  g_stop_at = -1;
  ASSERT_EQ(kiln_train(&m, full.data, ws.data, &train, &val, &o, nullptr,
                       &err),
            KILN_OK)
      << err.message;
  std::vector<std::string> want = rowsWithoutSeconds(slurp(mp));
  ASSERT_EQ(want.size(), 5u);
  int64_t steps = 4 * kiln_num_batches(train.rows, m.batch_size);
  for (int64_t k = 1; k <= steps; ++k) {
    State s(&m);
    ASSERT_EQ(kiln_init_state(&m, s.data, 2, &err), KILN_OK);
    kiln_train_options a = o;
    a.checkpoint_path = ck.c_str();
    a.interrupt = &g_stop;
    g_stop = 0;
    g_stop_at = k;
    kiln_status st = kiln_train(&m, s.data, ws.data, &train, &val, &a,
                                nullptr, &err);
    g_stop_at = -1;
    if (k == steps) { // the run's last step: it ends as usual
      EXPECT_EQ(st, KILN_OK) << err.message;
      continue;
    }
    ASSERT_EQ(st, KILN_ERR_INTERRUPTED) << k << ": " << err.message;
    State t(&m);
    kiln_train_options b = o;
    b.resume_path = ck.c_str();
    ASSERT_EQ(kiln_train(&m, t.data, ws.data, &train, &val, &b, nullptr,
                         &err),
              KILN_OK)
        << err.message;
    EXPECT_EQ(contents(t, &m), contents(full, &m)) << "interrupted at " << k;
    EXPECT_EQ(rowsWithoutSeconds(slurp(mp)), want) << "interrupted at " << k;
  }
}

TEST(Checkpoint, InterruptAtEveryStepThenResume) {
  Data train(21, 4, 1, 3), val(7, 4, 2, 3); // 3 batches per epoch
  interruptAtEveryStep(cls, train.d, val.d);
  // The scripted model: losses that change with every step, and (where
  // the model reports one) a learning rate per step in the metrics rows.
  fake_script_reset();
  for (int i = 0; i < FAKE_SCRIPT_LEN; ++i) {
    fake_script_train_loss[i] = 1.0f + 0.125f * float(i % 7);
    fake_script_val_loss[i] = 2.0f - 0.25f * float(i % 3);
  }
  Data strain(5, 1, 0, 0), sval(3, 1, 0, 0); // 3 batches of 2
  interruptAtEveryStep(scr, strain.d, sval.d);
}

std::string slurp(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The metrics file of a resumed run keeps the rows up to the checkpoint,
// drops the later ones, and goes on; one that lacks those rows is refused
// and left as it was.
TEST(Checkpoint, MetricsFileContinues) {
  Data train(21, 4, 1, 3);
  Workspace ws(cls);
  kiln_error err{};
  TempDir dir;
  std::string ck = dir.path("ck.safetensors"), mp = dir.path("m.csv");
  kiln_train_options o = options(cls);
  o.epochs = 4;
  o.metrics_path = mp.c_str();
  State s(cls);
  ASSERT_EQ(kiln_init_state(cls, s.data, 4, &err), KILN_OK);
  kiln_train_options a = o;
  a.checkpoint_path = ck.c_str();
  a.checkpoint_every = 2;
  a.epochs = 3; // the checkpoint of epoch 2, then epoch 3's row
  ASSERT_EQ(kiln_train(cls, s.data, ws.data, &train.d, nullptr, &a, nullptr,
                       &err),
            KILN_OK);
  // The end of the run wrote the checkpoint of epoch 3: take that of
  // epoch 2 again by a run of 2 epochs.
  a.epochs = 2;
  ASSERT_EQ(kiln_init_state(cls, s.data, 4, &err), KILN_OK);
  std::string three = slurp(mp);
  ASSERT_EQ(kiln_train(cls, s.data, ws.data, &train.d, nullptr, &a, nullptr,
                       &err),
            KILN_OK);
  dir.write("m.csv", three); // rows 1 to 3; the checkpoint is at 2
  kiln_train_options b = o;
  b.resume_path = ck.c_str();
  ASSERT_EQ(kiln_train(cls, s.data, ws.data, &train.d, nullptr, &b, nullptr,
                       &err),
            KILN_OK)
      << err.message;
  std::vector<std::string> got, want;
  std::stringstream g(slurp(mp)), w(three);
  for (std::string l; std::getline(g, l);)
    got.push_back(l.substr(0, l.rfind(',')));
  for (std::string l; std::getline(w, l);)
    want.push_back(l.substr(0, l.rfind(',')));
  ASSERT_EQ(got.size(), 5u) << slurp(mp);
  EXPECT_EQ(std::vector<std::string>(got.begin(), got.begin() + 4), want);
  EXPECT_EQ(got[4].rfind("4,", 0), 0u);

  // A file with only the header and one row is refused and kept.
  ASSERT_EQ(kiln_train(cls, s.data, ws.data, &train.d, nullptr, &a, nullptr,
                       &err),
            KILN_OK); // the checkpoint of epoch 2 again
  std::string shortFile = want[0] + ",seconds\n" + "1,2,,,0.1\n";
  dir.write("m.csv", shortFile);
  std::vector<float> before = contents(s, cls);
  EXPECT_EQ(kiln_train(cls, s.data, ws.data, &train.d, nullptr, &b, nullptr,
                       &err),
            KILN_ERR_ARGUMENT);
  EXPECT_NE(std::string(err.message).find("m.csv: the metrics file ends "
                                          "before the 2 epochs of the "
                                          "checkpoint"),
            std::string::npos)
      << err.message;
  EXPECT_EQ(slurp(mp), shortFile);
  EXPECT_EQ(contents(s, cls), before);
}

} // namespace
