//===- dataset_test.cpp - Column selection, targets, splits, batches ------===//

#include "test_util.h"

#include <algorithm>
#include <set>

using namespace kiln_test;

namespace {

const kiln_model *cls = &fake_classifier_model;
const kiln_model *reg = &fake_regressor_model;

struct Data {
  kiln_dataset d{};
  kiln_status st;
  kiln_error err{};
  Data(const kiln_model *m, const std::string &path, int need = 1) {
    st = kiln_dataset_load_csv(m, path.c_str(), need, &d, &err);
  }
  ~Data() { kiln_dataset_free(&d); }
};

TEST(Dataset, TargetByNameFeaturesAreTheOtherColumns) {
  TempDir dir;
  // The label sits between features; features keep the file's order.
  auto p = dir.write("c.csv", "f0,f1,label,f2,f3\n1,2,0,3,4\n5,6,2,7,8\n");
  Data data(cls, p);
  ASSERT_EQ(data.st, KILN_OK) << data.err.message;
  EXPECT_EQ(data.d.rows, 2);
  EXPECT_EQ(data.d.input_dim, 4);
  EXPECT_EQ(data.d.target_dim, 1);
  EXPECT_EQ(std::vector<float>(data.d.x, data.d.x + 8),
            (std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(data.d.y[0], 0);
  EXPECT_EQ(data.d.y[1], 2);
}

TEST(Dataset, PredictDataMayLackTheTargets) {
  TempDir dir;
  Data without(cls, dir.write("x.csv", "f0,f1,f2,f3\n1,2,3,4\n"), 0);
  ASSERT_EQ(without.st, KILN_OK) << without.err.message;
  EXPECT_EQ(without.d.target_dim, 0);
  EXPECT_EQ(without.d.y, nullptr);
  EXPECT_EQ(without.d.x[3], 4);
  Data with(cls, dir.write("y.csv", "f0,label,f1,f2,f3\n1,9,2,3,4\n"), 0);
  ASSERT_EQ(with.st, KILN_OK) << with.err.message;
  EXPECT_EQ(std::vector<float>(with.d.x, with.d.x + 4),
            (std::vector<float>{1, 2, 3, 4}))
      << "the label column is skipped and not validated";
  // Targets by index (the regressor's are columns 3 and 4): present only if
  // the file has all input + target columns.
  Data reg_without(reg, dir.write("r.csv", "a,b,c\n1,2,3\n"), 0);
  ASSERT_EQ(reg_without.st, KILN_OK) << reg_without.err.message;
  EXPECT_EQ(reg_without.d.input_dim, 3);
  Data reg_with(reg, dir.write("r2.csv", "a,b,c,t1,t2\n1,2,3,4,5\n"), 0);
  ASSERT_EQ(reg_with.st, KILN_OK) << reg_with.err.message;
  EXPECT_EQ(reg_with.d.x[2], 3);
}

TEST(Dataset, TargetsByIndex) {
  TempDir dir;
  Data data(reg, dir.write("r.csv", "a,b,c,t1,t2\n1,2,3,4.5,-5\n"));
  ASSERT_EQ(data.st, KILN_OK) << data.err.message;
  EXPECT_EQ(data.d.target_dim, 2);
  EXPECT_EQ(data.d.y[0], 4.5f);
  EXPECT_EQ(data.d.y[1], -5.0f);
}

TEST(Dataset, ColumnErrors) {
  TempDir dir;
  Data missing(cls, dir.write("c.csv", "f0,f1,f2,f3\n1,2,3,4\n"));
  EXPECT_EQ(missing.st, KILN_ERR_ARGUMENT);
  EXPECT_TRUE(contains(missing.err.message, "c.csv: no column named \"label\""))
      << missing.err.message;
  Data few(cls, dir.write("c.csv", "f0,f1,label\n1,2,0\n"));
  EXPECT_EQ(few.st, KILN_ERR_SHAPE);
  EXPECT_TRUE(contains(few.err.message,
                       "c.csv: 2 feature columns, but the model takes 4 inputs"))
      << few.err.message;
  Data short_reg(reg, dir.write("r.csv", "a,b,c,t1\n1,2,3,4\n"));
  EXPECT_EQ(short_reg.st, KILN_ERR_ARGUMENT);
  EXPECT_TRUE(contains(short_reg.err.message, "column index 4 out of range"))
      << short_reg.err.message;
  Data bad_cell(cls, dir.write("c.csv", "f0,f1,label,f2,f3\n1,2,0,3,4\n1,x,0,3,4\n"));
  EXPECT_EQ(bad_cell.st, KILN_ERR_VALUE);
  EXPECT_TRUE(contains(bad_cell.err.message,
                       "c.csv:3: column 2 (\"f1\"): not a number: \"x\""))
      << bad_cell.err.message;
}

TEST(Dataset, TargetValuesAreChecked) {
  TempDir dir;
  struct Case {
    const kiln_model *m;
    std::string csv, message;
  } cases[] = {
      {cls, "f0,f1,f2,f3,label\n0,0,0,0,1\n0,0,0,0,3\n",
       "c.csv: row 2: label 3 out of range [0, 3)"},
      {cls, "f0,f1,f2,f3,label\n0,0,0,0,-1\n", "row 1: label -1 out of range"},
      {cls, "f0,f1,f2,f3,label\n0,0,0,0,1.5\n",
       "c.csv: row 1: label 1.5 is not an integer"},
      {&fake_binary_model, "x1,x2,y\n0,0,1\n0,0,0\n0,0,2\n",
       "c.csv: row 3: value 2, expected 0 or 1"},
      {&fake_multilabel_model, "x1,x2,a,b\n0,0,1,0.5\n",
       "c.csv: row 1: target 2 value 0.5, expected 0 or 1"},
  };
  for (const Case &c : cases) {
    Data data(c.m, dir.write("c.csv", c.csv));
    EXPECT_EQ(data.st, KILN_ERR_VALUE) << c.csv;
    EXPECT_TRUE(contains(data.err.message, c.message))
        << "want: " << c.message << "\ngot:  " << data.err.message;
  }
}

// A dataset whose row r has x = {r} (input_dim 1) and y = {10 r}.
struct Rows {
  std::vector<float> x, y;
  kiln_dataset d{};
  explicit Rows(int64_t n) : x(n), y(n) {
    for (int64_t r = 0; r < n; ++r) {
      x[r] = float(r);
      y[r] = 10.0f * r;
    }
    d = {n, 1, 1, x.data(), y.data(), nullptr};
  }
};

TEST(Dataset, SplitSizesAndDisjointness) {
  for (auto [n, frac, want] : std::vector<std::tuple<int64_t, double, int64_t>>{
           {10, 0.25, 3}, {10, 0.2, 2}, {1000, 0.1, 100}, {7, 0.0, 0},
           {3, 0.5, 2}}) {
    Rows all(n);
    kiln_dataset train, val;
    kiln_error err{};
    ASSERT_EQ(kiln_dataset_split(&all.d, frac, 42, &train, &val, &err), KILN_OK)
        << err.message;
    EXPECT_EQ(val.rows, want) << n << " " << frac;
    EXPECT_EQ(train.rows, n - want);
    std::set<float> seen;
    for (auto *part : {&train, &val}) {
      for (int64_t r = 0; r < part->rows; ++r) {
        EXPECT_EQ(part->y[r], 10 * part->x[r]) << "x and y stay paired";
        ASSERT_TRUE(part->source_rows);
        EXPECT_EQ(part->source_rows[r], int64_t(part->x[r]))
            << "source_rows names the row of the file";
        EXPECT_TRUE(seen.insert(part->x[r]).second) << "row in both parts";
        if (r > 0)
          EXPECT_LT(part->x[r - 1], part->x[r]) << "file order kept";
      }
    }
    EXPECT_EQ((int64_t)seen.size(), n);
    kiln_dataset_free(&train);
    kiln_dataset_free(&val);
  }
}

// Splitting a split composes the source rows: they still name file rows.
TEST(Dataset, SplitOfASplitKeepsFileRows) {
  Rows all(40);
  kiln_dataset t1, v1, t2, v2;
  kiln_error err{};
  ASSERT_EQ(kiln_dataset_split(&all.d, 0.5, 3, &t1, &v1, &err), KILN_OK);
  ASSERT_EQ(kiln_dataset_split(&t1, 0.5, 4, &t2, &v2, &err), KILN_OK);
  for (auto *d : {&t2, &v2})
    for (int64_t r = 0; r < d->rows; ++r)
      EXPECT_EQ(d->source_rows[r], int64_t(d->x[r]));
  for (auto *d : {&t1, &v1, &t2, &v2})
    kiln_dataset_free(d);
}

TEST(Dataset, SplitIsSeeded) {
  Rows all(50);
  kiln_dataset t1, v1, t2, v2, t3, v3;
  kiln_error err{};
  ASSERT_EQ(kiln_dataset_split(&all.d, 0.2, 1, &t1, &v1, &err), KILN_OK);
  ASSERT_EQ(kiln_dataset_split(&all.d, 0.2, 1, &t2, &v2, &err), KILN_OK);
  ASSERT_EQ(kiln_dataset_split(&all.d, 0.2, 2, &t3, &v3, &err), KILN_OK);
  EXPECT_EQ(std::vector<float>(v1.x, v1.x + 10), std::vector<float>(v2.x, v2.x + 10));
  EXPECT_NE(std::vector<float>(v1.x, v1.x + 10), std::vector<float>(v3.x, v3.x + 10));
  for (auto *d : {&t1, &v1, &t2, &v2, &t3, &v3})
    kiln_dataset_free(d);
}

// train's rows moved in place: the same parts as the copying split, and
// `all` left empty.
TEST(Dataset, SplitMoveMatchesSplit) {
  for (auto [n, frac] : std::vector<std::pair<int64_t, double>>{
           {10, 0.25}, {1000, 0.1}, {7, 0.0}, {3, 0.5}}) {
    Rows rows(n);
    kiln_dataset all = rows.d;
    all.x = static_cast<float *>(malloc(n * sizeof(float)));
    all.y = static_cast<float *>(malloc(n * sizeof(float)));
    std::copy(rows.d.x, rows.d.x + n, all.x);
    std::copy(rows.d.y, rows.d.y + n, all.y);
    kiln_dataset t1, v1, t2, v2;
    kiln_error err{};
    ASSERT_EQ(kiln_dataset_split(&rows.d, frac, 9, &t1, &v1, &err), KILN_OK);
    ASSERT_EQ(kiln_dataset_split_move(&all, frac, 9, &t2, &v2, &err), KILN_OK)
        << err.message;
    EXPECT_EQ(all.rows, 0);
    EXPECT_EQ(all.x, nullptr);
    for (auto [a, b] : {std::pair(&t1, &t2), std::pair(&v1, &v2)}) {
      ASSERT_EQ(a->rows, b->rows);
      EXPECT_EQ(std::vector<float>(a->x, a->x + a->rows),
                std::vector<float>(b->x, b->x + b->rows));
      EXPECT_EQ(std::vector<float>(a->y, a->y + a->rows),
                std::vector<float>(b->y, b->y + b->rows));
      EXPECT_EQ(std::vector<int64_t>(a->source_rows, a->source_rows + a->rows),
                std::vector<int64_t>(b->source_rows, b->source_rows + b->rows));
    }
    for (auto *d : {&t1, &v1, &t2, &v2})
      kiln_dataset_free(d);
  }
}

TEST(Dataset, SplitErrors) {
  Rows all(3);
  kiln_dataset train, val;
  kiln_error err{};
  EXPECT_EQ(kiln_dataset_split(&all.d, 1.0, 1, &train, &val, &err), KILN_ERR_ARGUMENT);
  EXPECT_TRUE(contains(err.message, "not in [0, 1)")) << err.message;
  EXPECT_EQ(kiln_dataset_split(&all.d, 0.9, 1, &train, &val, &err), KILN_ERR_ARGUMENT);
  EXPECT_TRUE(contains(err.message, "leaves no training rows")) << err.message;
}

TEST(Batching, PartialLastBatchIsFilledFromTheStartOfTheEpoch) {
  Rows all(10);
  std::vector<int64_t> order(10);
  kiln_epoch_order(5, 0, 1, 10, order.data());
  EXPECT_EQ(kiln_num_batches(10, 4), 3);
  std::vector<float> x(4), y(4);
  kiln_train_batch(&all.d, order.data(), 2, 4, x.data(), y.data());
  EXPECT_EQ(x, (std::vector<float>{float(order[8]), float(order[9]),
                                   float(order[0]), float(order[1])}));
  EXPECT_EQ(y[2], 10 * float(order[0]));
  // Every row is seen in an epoch.
  std::set<float> seen;
  for (int64_t b = 0; b < 3; ++b) {
    kiln_train_batch(&all.d, order.data(), b, 4, x.data(), y.data());
    seen.insert(x.begin(), x.end());
  }
  EXPECT_EQ(seen.size(), 10u);
}

TEST(Batching, FewerRowsThanABatchWrapAround) {
  Rows all(3);
  std::vector<int64_t> order(3);
  kiln_epoch_order(0, 0, 0, 3, order.data());
  EXPECT_EQ(order, (std::vector<int64_t>{0, 1, 2}));
  std::vector<float> x(8), y(8);
  kiln_train_batch(&all.d, order.data(), 0, 8, x.data(), y.data());
  EXPECT_EQ(x, (std::vector<float>{0, 1, 2, 0, 1, 2, 0, 1}));
}

TEST(Batching, EpochOrdersDifferPerEpochUnlessShuffleIsOff) {
  std::vector<int64_t> a(20), b(20), c(20), d(20);
  kiln_epoch_order(9, 0, 1, 20, a.data());
  kiln_epoch_order(9, 1, 1, 20, b.data());
  kiln_epoch_order(9, 0, 1, 20, c.data());
  kiln_epoch_order(9, 3, 0, 20, d.data());
  EXPECT_NE(a, b);
  EXPECT_EQ(a, c);
  for (int64_t i = 0; i < 20; ++i)
    EXPECT_EQ(d[i], i);
}

} // namespace
