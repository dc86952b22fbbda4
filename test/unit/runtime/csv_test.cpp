//===- csv_test.cpp - CSV parsing and its error messages ------------------===//

#include "test_util.h"

#include <cmath>

using namespace kiln_test;

namespace {

struct Csv {
  kiln_csv *csv = nullptr;
  kiln_status st;
  kiln_error err{};
  explicit Csv(const std::string &path) { st = kiln_csv_open(path.c_str(), &csv, &err); }
  ~Csv() { kiln_csv_close(csv); }
};

// Reads columns (by index) of a CSV held in a string.
kiln_status readColumns(const TempDir &dir, const std::string &text,
                        std::vector<int64_t> cols, kiln_matrix *out,
                        kiln_error *err, const char *name = "data.csv") {
  Csv c(dir.write(name, text));
  if (c.st) {
    *err = c.err;
    return c.st;
  }
  return kiln_csv_read_columns(c.csv, cols.data(), (int64_t)cols.size(), out,
                               err);
}

TEST(Csv, ReadsHeaderAndRows) {
  TempDir dir;
  Csv c(dir.write("d.csv", "a,b,c\n1,2,3\n4.5,-6e-1,7\n"));
  ASSERT_EQ(c.st, KILN_OK) << c.err.message;
  EXPECT_EQ(kiln_csv_num_rows(c.csv), 2);
  EXPECT_EQ(kiln_csv_num_columns(c.csv), 3);
  EXPECT_STREQ(kiln_csv_column_name(c.csv, 1), "b");
  EXPECT_EQ(kiln_csv_column_name(c.csv, 3), nullptr);
  int64_t cols[] = {2, 0};
  kiln_matrix m;
  kiln_error err{};
  ASSERT_EQ(kiln_csv_read_columns(c.csv, cols, 2, &m, &err), KILN_OK);
  EXPECT_EQ(m.rows, 2);
  EXPECT_EQ(m.cols, 2);
  EXPECT_EQ(std::vector<float>(m.data, m.data + 4),
            (std::vector<float>{3, 1, 7, 4.5f}));
  kiln_matrix_free(&m);
  EXPECT_EQ(m.data, nullptr);
}

TEST(Csv, HandlesQuotesCrlfBomSpacesAndTrailingBlankLines) {
  TempDir dir;
  std::string text = "\xEF\xBB\xBF"
                     "\"name, with comma\",\"say \"\"hi\"\"\", plain \r\n"
                     "\"1.5\", 2 ,\" 3 \"\r\n"
                     "\"multi\nline\",x,4\r\n"
                     "\r\n  \n\n";
  Csv c(dir.write("q.csv", text));
  ASSERT_EQ(c.st, KILN_OK) << c.err.message;
  EXPECT_STREQ(kiln_csv_column_name(c.csv, 0), "name, with comma");
  EXPECT_STREQ(kiln_csv_column_name(c.csv, 1), "say \"hi\"");
  EXPECT_STREQ(kiln_csv_column_name(c.csv, 2), "plain");
  EXPECT_EQ(kiln_csv_num_rows(c.csv), 2);
  // Column 1 holds text in row 2: fine as long as it is not read.
  int64_t cols[] = {2};
  kiln_matrix m;
  kiln_error err{};
  ASSERT_EQ(kiln_csv_read_columns(c.csv, cols, 1, &m, &err), KILN_OK)
      << err.message;
  EXPECT_EQ(m.data[0], 3.0f);
  EXPECT_EQ(m.data[1], 4.0f);
  kiln_matrix_free(&m);
  // The text cell is reported with the line its record starts on (3).
  int64_t text_col[] = {1};
  EXPECT_EQ(kiln_csv_read_columns(c.csv, text_col, 1, &m, &err),
            KILN_ERR_VALUE);
  EXPECT_TRUE(contains(err.message, ":3: column 2 (\"say \"hi\"\"): not a number: \"x\""))
      << err.message;
}

TEST(Csv, NoTrailingNewlineAndSingleColumn) {
  TempDir dir;
  kiln_matrix m;
  kiln_error err{};
  ASSERT_EQ(readColumns(dir, "v\n1\n2", {0}, &m, &err), KILN_OK) << err.message;
  EXPECT_EQ(m.rows, 2);
  EXPECT_EQ(m.data[1], 2.0f);
  kiln_matrix_free(&m);
}

TEST(Csv, FindsColumnsByNameAndIndex) {
  TempDir dir;
  Csv c(dir.write("d.csv", "sepal length,petal width,dup,dup\n1,2,3,4\n"));
  ASSERT_EQ(c.st, KILN_OK);
  int64_t idx;
  kiln_error err{};
  EXPECT_EQ(kiln_csv_find_column(c.csv, {"petal width", -1}, &idx, &err), KILN_OK);
  EXPECT_EQ(idx, 1);
  EXPECT_EQ(kiln_csv_find_column(c.csv, {nullptr, 3}, &idx, &err), KILN_OK);
  EXPECT_EQ(idx, 3);
  EXPECT_EQ(kiln_csv_find_column(c.csv, {"petal_width", -1}, &idx, &err),
            KILN_ERR_ARGUMENT);
  EXPECT_TRUE(contains(err.message, "d.csv: no column named \"petal_width\""))
      << err.message;
  EXPECT_EQ(kiln_csv_find_column(c.csv, {nullptr, 4}, &idx, &err),
            KILN_ERR_ARGUMENT);
  EXPECT_TRUE(contains(err.message,
                       "column index 4 out of range: the file has 4 columns"))
      << err.message;
  EXPECT_EQ(kiln_csv_find_column(c.csv, {nullptr, -1}, &idx, &err),
            KILN_ERR_ARGUMENT);
  EXPECT_EQ(kiln_csv_find_column(c.csv, {"dup", -1}, &idx, &err),
            KILN_ERR_ARGUMENT);
  EXPECT_TRUE(contains(err.message, "appears twice")) << err.message;
}

TEST(Csv, CellErrorsNameLineAndColumn) {
  TempDir dir;
  struct Case {
    std::string row, message;
  } cases[] = {
      {"1,abc", "data.csv:3: column 2 (\"petal width\"): not a number: \"abc\""},
      {"1,", "data.csv:3: column 2 (\"petal width\"): empty cell"},
      {"1,\"\"", "data.csv:3: column 2 (\"petal width\"): empty cell"},
      {"1,nan", "column 2 (\"petal width\"): not a finite number: \"nan\""},
      {"1,-inf", "column 2 (\"petal width\"): not a finite number: \"-inf\""},
      {"1,1e39", "column 2 (\"petal width\"): out of float32 range: \"1e39\""},
      {"1,1.5x", "not a number: \"1.5x\""},
      // strtod reads these, docs/runtime.md promises decimals only.
      {"1,0x10", "column 2 (\"petal width\"): not a decimal number: \"0x10\""},
      {"1,-0X1p3", "not a decimal number: \"-0X1p3\""},
      {"1,infinity", "not a finite number: \"infinity\""},
      {"1,nan(1)", "not a finite number: \"nan(1)\""},
      {"1,1e400", "out of float32 range: \"1e400\""},
      {"1,.", "not a number: \".\""},
      {"1,1e", "not a number: \"1e\""},
      {"x,1", "data.csv:3: column 1 (\"sepal\"): not a number: \"x\""},
  };
  for (const Case &c : cases) {
    kiln_matrix m;
    kiln_error err{};
    EXPECT_EQ(readColumns(dir, "sepal,petal width\n0,0\n" + c.row + "\n",
                          {0, 1}, &m, &err),
              KILN_ERR_VALUE)
        << c.row;
    EXPECT_TRUE(contains(err.message, c.message))
        << c.row << " gave: " << err.message;
  }
}

TEST(Csv, DecimalSpellingsAreRead) {
  TempDir dir;
  kiln_matrix m;
  kiln_error err{};
  ASSERT_EQ(readColumns(dir, "a,b,c,d,e,f\n.5,5.,+1e-3,-2E+2,007,-0\n",
                        {0, 1, 2, 3, 4, 5}, &m, &err),
            KILN_OK)
      << err.message;
  EXPECT_EQ(std::vector<float>(m.data, m.data + 6),
            (std::vector<float>{0.5f, 5, 1e-3f, -200, 7, 0}));
  kiln_matrix_free(&m);
}

// A NUL byte cut a header name short (C strings); it is refused wherever it
// is, with its line and column.
TEST(Csv, NulBytesAreRefused) {
  TempDir dir;
  struct Case {
    std::string text, message;
  } cases[] = {
      {std::string("a\0b,c\n1,2\n", 11), "data.csv:1: column 1: NUL byte"},
      {std::string("a,b\n1,2\n3,\"x\ny\0\"\n", 18), "data.csv:4: column 2: NUL byte"},
      {std::string("a,b\n1,2\n\0\n", 11), "data.csv:3: column 1: NUL byte"},
  };
  for (const Case &c : cases) {
    Csv csv(dir.write("data.csv", c.text));
    EXPECT_EQ(csv.st, KILN_ERR_FORMAT) << c.message;
    EXPECT_TRUE(contains(csv.err.message, c.message))
        << "want " << c.message << "\ngot  " << csv.err.message;
  }
}

TEST(Csv, StructureErrors) {
  TempDir dir;
  struct Case {
    std::string text, message;
  } cases[] = {
      {"", "data.csv: empty file"},
      {"\n\n", "data.csv: empty file"},
      {"a,b\n", "data.csv: no data rows after the header"},
      {"a,b\n\n", "data.csv: no data rows after the header"},
      {"a,b\n1,2\n3\n", "data.csv:3: 1 field, but the header has 2"},
      {"a,b\n1,2\n3,4,5\n", "data.csv:3: 3 fields, but the header has 2"},
      {"a,b\n1,2\n\n3,4\n", "data.csv:3: blank line between rows"},
      {"\na,b\n1,2\n", "data.csv:1: blank line where the header should be"},
      {"a,b\n1,\"2\n", "data.csv:2: quoted field never closed"},
      {"a,b\n1,\"2\"x\n", "data.csv:2: unexpected character after a closing quote"},
      {"a,b\n1,2\"\n", "data.csv:2: quote inside an unquoted field"},
  };
  for (const Case &c : cases) {
    Csv csv(dir.write("data.csv", c.text));
    EXPECT_EQ(csv.st, KILN_ERR_FORMAT) << c.text;
    EXPECT_TRUE(contains(csv.err.message, c.message))
        << c.text << " gave: " << csv.err.message;
    EXPECT_EQ(csv.csv, nullptr);
  }
}

TEST(Csv, MissingFileAndDirectory) {
  TempDir dir;
  Csv missing(dir.path("nope.csv"));
  EXPECT_EQ(missing.st, KILN_ERR_IO);
  EXPECT_TRUE(contains(missing.err.message, "nope.csv: cannot open: No such file"))
      << missing.err.message;
  Csv d(dir.path(""));
  EXPECT_EQ(d.st, KILN_ERR_IO);
}

// A host application with a decimal-comma locale must not change parsing.
TEST(Csv, ParsesInTheCLocaleWhateverTheHostSets) {
  TempDir dir;
  const char *old = setlocale(LC_NUMERIC, nullptr);
  std::string saved = old ? old : "C";
  bool have_de = setlocale(LC_NUMERIC, "de_DE.UTF-8") != nullptr;
  kiln_matrix m;
  kiln_error err{};
  kiln_status st = readColumns(dir, "a\n1.5\n", {0}, &m, &err);
  setlocale(LC_NUMERIC, saved.c_str());
  ASSERT_EQ(st, KILN_OK) << err.message;
  EXPECT_EQ(m.data[0], 1.5f);
  kiln_matrix_free(&m);
  if (!have_de)
    GTEST_SKIP() << "no de_DE locale installed; parsed in C locale only";
}

TEST(Csv, ManyRowsGrowTheIndex) {
  TempDir dir;
  std::string text = "x,y\n";
  for (int i = 0; i < 5000; ++i)
    text += std::to_string(i) + "," + std::to_string(i * 0.5) + "\n";
  kiln_matrix m;
  kiln_error err{};
  ASSERT_EQ(readColumns(dir, text, {1, 0}, &m, &err), KILN_OK);
  ASSERT_EQ(m.rows, 5000);
  EXPECT_EQ(m.data[2 * 4321], 4321 * 0.5f);
  EXPECT_EQ(m.data[2 * 4321 + 1], 4321.0f);
  kiln_matrix_free(&m);
}

} // namespace
