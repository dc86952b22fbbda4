//===- npy_test.cpp - Reading .npy files ----------------------------------===//

#include "test_util.h"

#include <cmath>
#include <cstring>

using namespace kiln_test;

namespace {

// A .npy file as numpy writes it: magic, version, header padded to 64.
std::string npy(const std::string &dict, const std::string &data,
                int major = 1) {
  std::string header = dict;
  size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64 != 0)
    header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += char(major);
  out += char(0);
  uint32_t len = (uint32_t)header.size();
  for (size_t i = 0; i < (major == 1 ? 2u : 4u); ++i)
    out += char((len >> (8 * i)) & 0xff);
  return out + header + data;
}

template <typename T> std::string bytes(std::vector<T> v) {
  return std::string(reinterpret_cast<const char *>(v.data()),
                     v.size() * sizeof(T));
}

// predict's message for a .npy with the wrong column count shows the
// file's shape (it showed [0, 0]: the matrix was freed first).
TEST(Npy, PredictNamesTheShapeOfAWrongArray) {
  TempDir dir;
  auto w = dir.path("w.safetensors");
  ASSERT_EQ(runCli(&fake_classifier_model, {"init", "--save", w}).rc, 0);
  auto x = dir.write("x.npy",
                     npy("{'descr': '<f4', 'fortran_order': False, 'shape': (5, 2), }",
                         bytes<float>(std::vector<float>(10, 1.0f))));
  auto r = runCli(&fake_classifier_model, {"predict", "--weights", w, "--data", x});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, "error: " + x + ": shape [5, 2], the model takes 4 inputs per row\n");
}

TEST(Npy, ReadsF4TwoDimensional) {
  TempDir dir;
  auto p = dir.write("x.npy",
                     npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                         bytes<float>({1, 2, 3, 4, 5, 6.5f})));
  kiln_matrix m;
  kiln_error err{};
  ASSERT_EQ(kiln_npy_read(p.c_str(), &m, &err), KILN_OK) << err.message;
  EXPECT_EQ(m.rows, 2);
  EXPECT_EQ(m.cols, 3);
  EXPECT_EQ(std::vector<float>(m.data, m.data + 6),
            (std::vector<float>{1, 2, 3, 4, 5, 6.5f}));
  kiln_matrix_free(&m);
}

TEST(Npy, ReadsF8OneDimensionalAsAColumnAndVersion2) {
  TempDir dir;
  auto p = dir.write("x.npy",
                     npy("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",
                         bytes<double>({0.1, -2, 1e30}), 2));
  kiln_matrix m;
  kiln_error err{};
  ASSERT_EQ(kiln_npy_read(p.c_str(), &m, &err), KILN_OK) << err.message;
  EXPECT_EQ(m.rows, 3);
  EXPECT_EQ(m.cols, 1);
  EXPECT_EQ(m.data[0], 0.1f);
  EXPECT_EQ(m.data[2], 1e30f);
  kiln_matrix_free(&m);
}

TEST(Npy, Errors) {
  TempDir dir;
  const std::string f4 = bytes<float>({1, 2, 3, 4});
  struct Case {
    std::string file, message;
    kiln_status st;
  } cases[] = {
      {npy("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", f4),
       "x.npy: dtype '<i8' not supported", KILN_ERR_VALUE},
      {npy("{'descr': '>f4', 'fortran_order': False, 'shape': (4,), }", f4),
       "dtype '>f4' not supported", KILN_ERR_VALUE},
      {npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", f4),
       "x.npy: Fortran-ordered array not supported", KILN_ERR_VALUE},
      {npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", f4),
       "x.npy: truncated: 16 data bytes, the shape needs 24", KILN_ERR_FORMAT},
      {npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", f4),
       "size mismatch", KILN_ERR_FORMAT},
      {npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 2), }", f4),
       "x.npy: shape [1, 2, 2], expected 1 or 2 dimensions", KILN_ERR_SHAPE},
      {npy("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", f4),
       "shape [], expected 1 or 2", KILN_ERR_SHAPE},
      {npy("{'descr': '<f4', 'shape': (4,), }", f4),
       "cannot parse the header", KILN_ERR_FORMAT},
      {npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0,), }", ""),
       "empty array", KILN_ERR_SHAPE},
      {npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }",
           bytes<float>({1, NAN})),
       "x.npy: element [1, 0] is nan", KILN_ERR_VALUE},
      {"PK\x03\x04 not numpy", "not a .npy file", KILN_ERR_FORMAT},
      {std::string("\x93NUMPY\x01\x00\xff\x7f{", 11), "truncated header",
       KILN_ERR_FORMAT},
  };
  for (const Case &c : cases) {
    auto p = dir.write("x.npy", c.file);
    kiln_matrix m;
    kiln_error err{};
    EXPECT_EQ(kiln_npy_read(p.c_str(), &m, &err), c.st) << c.message;
    EXPECT_TRUE(contains(err.message, c.message))
        << "want " << c.message << ", got " << err.message;
    EXPECT_EQ(m.data, nullptr);
  }
}

TEST(Npy, ReadsWhatNumpyWrites) {
  if (!haveNumpy())
    GTEST_SKIP() << "/usr/bin/python3 has no numpy";
  TempDir dir;
  std::string f4 = dir.path("a.npy"), f8 = dir.path("b.npy");
  std::string cmd = "/usr/bin/python3 -c \"import numpy as np; "
                    "np.save('" + f4 + "', np.arange(12, dtype=np.float32).reshape(4, 3) / 4); "
                    "np.save('" + f8 + "', np.linspace(-1, 1, 5))\"";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  kiln_matrix m;
  kiln_error err{};
  ASSERT_EQ(kiln_npy_read(f4.c_str(), &m, &err), KILN_OK) << err.message;
  EXPECT_EQ(m.rows, 4);
  EXPECT_EQ(m.cols, 3);
  for (int i = 0; i < 12; ++i)
    EXPECT_EQ(m.data[i], i / 4.0f);
  kiln_matrix_free(&m);
  ASSERT_EQ(kiln_npy_read(f8.c_str(), &m, &err), KILN_OK) << err.message;
  EXPECT_EQ(m.rows, 5);
  EXPECT_EQ(m.data[0], -1.0f);
  EXPECT_EQ(m.data[3], 0.5f);
  kiln_matrix_free(&m);
}

} // namespace
