//===- safetensors_test.cpp - Checkpoints: layout, round trip, errors -----===//

#include "test_util.h"

#include <cmath>
#include <cstring>

#include <fcntl.h>
#include <sys/wait.h>
#include <random>

using namespace kiln_test;

namespace {

const kiln_model *reg = &fake_regressor_model;

// A safetensors file from a header and raw data.
std::string stFile(const std::string &header, const std::string &data) {
  std::string out;
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i)
    out += char((n >> (8 * i)) & 0xff);
  return out + header + data;
}

template <typename T> std::string bytes(std::vector<T> v) {
  return std::string(reinterpret_cast<const char *>(v.data()),
                     v.size() * sizeof(T));
}

// The regressor's saved tensors, in a valid hand-written file whose entries
// are in another order than the table's and one of which is F64.
std::string handWritten() {
  std::string header =
      R"({"bn.running_var":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("w":{"dtype":"F64","shape":[2,3],"data_offsets":[8,56]},)"
      R"("__metadata__":{"format":"pt"},)"
      R"("b":{"dtype":"F32","shape":[2],"data_offsets":[56,64]},)"
      R"("bn.running_mean":{"dtype":"F32","shape":[2],"data_offsets":[64,72]}})";
  std::string data = bytes<float>({4, 5}) +
                     bytes<double>({0.5, -1, 2, 0.25, 3, -4}) +
                     bytes<float>({7, 8}) + bytes<float>({9, 10});
  return stFile(header, data);
}

TEST(Safetensors, HandWrittenFileLoads) {
  TempDir dir;
  auto p = dir.write("w.safetensors", handWritten());
  State s(reg);
  for (int64_t i = 0; i < s.size; ++i)
    s.data[i] = 99; // optimizer state must be zeroed by the load
  kiln_error err{};
  ASSERT_EQ(kiln_safetensors_load(reg, s.data, p.c_str(), &err), KILN_OK)
      << err.message;
  std::vector<float> want = {0.5f, -1, 2, 0.25f, 3, -4, 7, 8, 9, 10, 4, 5,
                             0, 0, 0, 0, 0, 0};
  EXPECT_EQ(std::vector<float>(s.data, s.data + 18), want);
}

TEST(Safetensors, SaveWritesTheDocumentedLayout) {
  TempDir dir;
  State s(reg);
  for (int64_t i = 0; i < s.size; ++i)
    s.data[i] = float(i) + 0.5f;
  auto p = dir.path("w.safetensors");
  kiln_error err{};
  ASSERT_EQ(kiln_safetensors_save(reg, s.data, p.c_str(), &err), KILN_OK)
      << err.message;
  std::string f = readFile(p);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i)
    n = (n << 8) | (unsigned char)f[i];
  EXPECT_EQ((8 + n) % 8, 0u) << "data section 8-byte aligned";
  std::string header = f.substr(8, n);
  EXPECT_TRUE(contains(header, R"("__metadata__":{"format":"pt","kiln_model":"regressor"})"));
  EXPECT_TRUE(contains(header, R"("w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]})"));
  EXPECT_TRUE(contains(header, R"("b":{"dtype":"F32","shape":[2],"data_offsets":[24,32]})"));
  EXPECT_TRUE(contains(header, R"("bn.running_var":{"dtype":"F32","shape":[2],"data_offsets":[40,48]})"));
  EXPECT_FALSE(contains(header, "opt.velocity"));
  // Dense weights stay [out, in] as in the state: no transposition.
  ASSERT_EQ(f.size(), 8 + n + 48);
  std::vector<float> data(12);
  std::memcpy(data.data(), f.data() + 8 + n, 48);
  EXPECT_EQ(data, std::vector<float>(s.data, s.data + 12));
  EXPECT_EQ(dir.files().size(), 1u) << "no temporary file left behind";
}

TEST(Safetensors, RoundTripIsBitExact) {
  TempDir dir;
  State a(reg), b(reg);
  std::mt19937 rng(5);
  for (int64_t i = 0; i < a.size; ++i) {
    uint32_t bits = rng();
    if ((bits & 0x7f800000u) == 0x7f800000u)
      bits &= ~0x00800000u; // keep it finite: NaN payloads are not the point
    std::memcpy(&a.data[i], &bits, 4);
  }
  a.data[0] = -0.0f;
  a.data[1] = 1e-42f; // denormal
  auto p = dir.path("rt.safetensors");
  kiln_error err{};
  ASSERT_EQ(kiln_safetensors_save(reg, a.data, p.c_str(), &err), KILN_OK);
  ASSERT_EQ(kiln_safetensors_load(reg, b.data, p.c_str(), &err), KILN_OK)
      << err.message;
  EXPECT_EQ(std::memcmp(a.data, b.data, 12 * sizeof(float)), 0);
  for (int i = 12; i < 18; ++i)
    EXPECT_EQ(b.data[i], 0.0f) << "optimizer state starts at zero";
}

TEST(Safetensors, SaveReplacesAtomicallyAndReportsUnwritableDirs) {
  TempDir dir;
  State s(reg);
  auto p = dir.write("w.safetensors", "old contents");
  kiln_error err{};
  ASSERT_EQ(kiln_safetensors_save(reg, s.data, p.c_str(), &err), KILN_OK);
  EXPECT_NE(readFile(p), "old contents");
  EXPECT_EQ(dir.files().size(), 1u);
  // A rename that fails (the target is a directory) leaves it alone and
  // removes the temporary file.
  auto blocked = dir.path("blocked.safetensors");
  ASSERT_EQ(mkdir(blocked.c_str(), 0755), 0);
  std::ofstream(blocked + "/keep") << "x";
  EXPECT_EQ(kiln_safetensors_save(reg, s.data, blocked.c_str(), &err), KILN_ERR_IO);
  EXPECT_TRUE(contains(err.message, "cannot rename")) << err.message;
  EXPECT_EQ(readFile(blocked + "/keep"), "x");
  EXPECT_EQ(dir.files().size(), 2u) << "no temporary file left behind";
  std::remove((blocked + "/keep").c_str());
  rmdir(blocked.c_str());
  auto bad = dir.path("no/such/dir/w.safetensors");
  EXPECT_EQ(kiln_safetensors_save(reg, s.data, bad.c_str(), &err), KILN_ERR_IO);
  EXPECT_TRUE(contains(err.message, "w.safetensors.tmp.")) << err.message;
  EXPECT_TRUE(contains(err.message, "cannot create")) << err.message;
}

bool isSymlink(const std::string &p) {
  struct stat st;
  return lstat(p.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

// A save through a symlink replaces the file it points to, with the
// temporary file beside that file; the link stays a link.
TEST(Safetensors, SaveWritesThroughSymlinks) {
  TempDir dir;
  State s(reg), back(reg);
  for (int64_t i = 0; i < 12; ++i)
    s.data[i] = float(i);
  kiln_error err{};
  auto real = dir.write("w.safetensors", "old");
  auto link = dir.path("link.safetensors");
  ASSERT_EQ(symlink("w.safetensors", link.c_str()), 0);
  ASSERT_EQ(kiln_safetensors_save(reg, s.data, link.c_str(), &err), KILN_OK)
      << err.message;
  EXPECT_TRUE(isSymlink(link));
  ASSERT_EQ(kiln_safetensors_load(reg, back.data, real.c_str(), &err), KILN_OK)
      << err.message;
  EXPECT_EQ(back.data[11], 11.0f);
  EXPECT_EQ(dir.files().size(), 2u) << "no temporary file left";

  // Into another directory, through a chain of two links, and to a link
  // whose file does not exist yet.
  auto sub = dir.path("sub");
  ASSERT_EQ(mkdir(sub.c_str(), 0755), 0);
  std::ofstream(sub + "/real.safetensors") << "old";
  auto chain = dir.path("chain"), hop = dir.path("hop");
  ASSERT_EQ(symlink("sub/real.safetensors", hop.c_str()), 0);
  ASSERT_EQ(symlink(hop.c_str(), chain.c_str()), 0); // absolute
  ASSERT_EQ(kiln_safetensors_save(reg, s.data, chain.c_str(), &err), KILN_OK)
      << err.message;
  EXPECT_TRUE(isSymlink(chain));
  EXPECT_TRUE(isSymlink(hop));
  ASSERT_EQ(kiln_safetensors_load(reg, back.data,
                                  (sub + "/real.safetensors").c_str(), &err),
            KILN_OK)
      << err.message;
  auto dangling = dir.path("dangling");
  ASSERT_EQ(symlink("sub/new.safetensors", dangling.c_str()), 0);
  ASSERT_EQ(kiln_safetensors_save(reg, s.data, dangling.c_str(), &err), KILN_OK)
      << err.message;
  EXPECT_TRUE(isSymlink(dangling));
  EXPECT_EQ(readFile(sub + "/new.safetensors"), readFile(real));
  EXPECT_EQ(dir.files().size(), 6u) << "w, link, sub, chain, hop, dangling";
  int in_sub = 0;
  if (DIR *d = opendir(sub.c_str())) {
    while (dirent *e = readdir(d))
      in_sub += e->d_name[0] != '.';
    closedir(d);
  }
  EXPECT_EQ(in_sub, 2) << "real and new, no temporary file";
  std::remove((sub + "/real.safetensors").c_str());
  std::remove((sub + "/new.safetensors").c_str());
}

// /dev/stdout, /dev/fd/N and /proc/self/fd/N name a descriptor we hold:
// writing to it continues at its offset (a shell's "{ echo header; predict
// --output /dev/stdout; echo footer; } > f"), where reopening would start
// at 0 and a rename would unlink the file the descriptor writes to.
TEST(Safetensors, SaveToAnInheritedDescriptorUsesIt) {
  TempDir dir;
  auto p = dir.path("out.txt");
  for (std::string prefix : {"/dev/fd/", "/proc/self/fd/"}) {
    int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, "header\n", 7), 7);
    std::string path = prefix + std::to_string(fd);
    kiln_chunk chunk = {"data\n", 5};
    kiln_error err{};
    EXPECT_EQ(kiln_write_file_atomic(path.c_str(), &chunk, 1, &err), KILN_OK)
        << err.message;
    ASSERT_EQ(write(fd, "footer\n", 7), 7);
    close(fd);
    EXPECT_EQ(readFile(p), "header\ndata\nfooter\n") << path;
    EXPECT_EQ(kiln_write_file_atomic(path.c_str(), &chunk, 1, &err), KILN_ERR_IO)
        << "a closed descriptor";
    EXPECT_TRUE(contains(err.message, path + ": cannot write")) << err.message;
  }
  EXPECT_EQ(dir.files().size(), 1u);
}

// A save killed before its rename leaves "<path>.tmp.<pid>"; the next save
// of that path removes those whose process is gone, and nothing else.
TEST(Safetensors, SaveRemovesStaleTemporaryFiles) {
  TempDir dir;
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0)
    _exit(0);
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
  const std::string dead = std::to_string(child);
  const std::string alive = std::to_string(getppid());
  auto p = dir.path("w.safetensors");
  dir.write("w.safetensors.tmp." + dead, "half a checkpoint");
  dir.write("w.safetensors.tmp." + alive, "another process is saving");
  dir.write("w.safetensors.tmp." + dead + "x", "not ours");
  dir.write("w.safetensors.tmp.", "not ours");
  dir.write("v.safetensors.tmp." + dead, "another target");
  dir.write("w.safetensors.tmp.0", "not a pid");
  State s(reg);
  kiln_error err{};
  ASSERT_EQ(kiln_safetensors_save(reg, s.data, p.c_str(), &err), KILN_OK)
      << err.message;
  EXPECT_FALSE(fileExists(p + ".tmp." + dead));
  EXPECT_TRUE(fileExists(p + ".tmp." + alive));
  EXPECT_TRUE(fileExists(p + ".tmp." + dead + "x"));
  EXPECT_TRUE(fileExists(p + ".tmp."));
  EXPECT_TRUE(fileExists(dir.path("v.safetensors.tmp." + dead)));
  EXPECT_TRUE(fileExists(p + ".tmp.0"));
  EXPECT_EQ(dir.files().size(), 6u);
}

// A FIFO or a device is written in place: a rename would turn it into a
// regular file (and, as root, replace /dev/null itself).
TEST(Safetensors, SaveWritesSpecialFilesInPlace) {
  TempDir dir;
  State s(reg);
  kiln_error err{};
  auto fifo = dir.path("fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0644), 0);
  // A reader must be there for the writer's open not to block; the file is
  // far smaller than a pipe's buffer.
  int rd = open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(rd, 0);
  ASSERT_EQ(kiln_safetensors_save(reg, s.data, fifo.c_str(), &err), KILN_OK)
      << err.message;
  std::string got;
  char buf[4096];
  for (ssize_t n; (n = read(rd, buf, sizeof buf)) > 0;)
    got.append(buf, size_t(n));
  close(rd);
  struct stat st;
  ASSERT_EQ(lstat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode)) << "still a FIFO";
  State back(reg);
  ASSERT_GT(got.size(), 8u);
  EXPECT_EQ(kiln_safetensors_parse(reg, back.data, "fifo", got.data(), got.size(),
                                   &err),
            KILN_OK)
      << err.message;

  auto null = dir.path("null");
  ASSERT_EQ(symlink("/dev/null", null.c_str()), 0);
  ASSERT_EQ(kiln_safetensors_save(reg, s.data, null.c_str(), &err), KILN_OK)
      << err.message;
  EXPECT_TRUE(isSymlink(null));
  ASSERT_EQ(stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(dir.files().size(), 2u) << "no temporary file left";
}

TEST(Safetensors, ErrorsNameTheFileAndTensor) {
  TempDir dir;
  const std::string f32x2 = bytes<float>({1, 2});
  const std::string good_rest =
      R"("b":{"dtype":"F32","shape":[2],"data_offsets":[24,32]},)"
      R"("bn.running_mean":{"dtype":"F32","shape":[2],"data_offsets":[32,40]},)"
      R"("bn.running_var":{"dtype":"F32","shape":[2],"data_offsets":[40,48]})";
  const std::string data48(48, '\0');
  auto withW = [&](const std::string &w, const std::string &data = "") {
    return stFile("{" + w + "," + good_rest + "}", data.empty() ? data48 : data);
  };
  struct Case {
    std::string file, message;
    kiln_status st;
  } cases[] = {
      {withW(R"("w":{"dtype":"F32","shape":[3,2],"data_offsets":[0,24]})"),
       "w.safetensors: tensor \"w\": shape [3, 2], expected [2, 3]",
       KILN_ERR_SHAPE},
      {withW(R"("w":{"dtype":"F32","shape":[6],"data_offsets":[0,24]})"),
       "tensor \"w\": shape [6], expected [2, 3]", KILN_ERR_SHAPE},
      {withW(R"("x":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]})"),
       "w.safetensors: tensor \"w\" is missing", KILN_ERR_SHAPE},
      {withW(R"("w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
             R"("l9.weight":{"dtype":"F32","shape":[0],"data_offsets":[48,48]},)"
             R"("l9.bias":{"dtype":"F32","shape":[0],"data_offsets":[48,48]})"),
       "w.safetensors: unexpected tensor \"l9.weight\" (and 1 more): "
       "checkpoint for another model?",
       KILN_ERR_SHAPE},
      {withW(R"("w":{"dtype":"F16","shape":[2,3],"data_offsets":[0,12]})"),
       "tensor \"w\": dtype F16 not supported (F32 or F64)", KILN_ERR_VALUE},
      {withW(R"("w":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,12]})"),
       "dtype BF16 not supported", KILN_ERR_VALUE},
      {withW(R"("w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]})"),
       "tensor \"w\": data_offsets span 20 bytes, its shape and dtype need 24",
       KILN_ERR_FORMAT},
      {withW(R"("w":{"dtype":"F32","shape":[2,3],"data_offsets":[8,32]})"),
       "overlap", KILN_ERR_FORMAT},
      {withW(R"("w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]})",
             std::string(40, '\0')),
       "beyond the 40 bytes of data (truncated file?)", KILN_ERR_FORMAT},
      {withW(R"("w":{"dtype":"F32","shape":[2,3],"data_offsets":[24,0]})"),
       "\"data_offsets\" must be [begin, end]", KILN_ERR_FORMAT},
      {withW(R"("w":{"dtype":"F32","shape":[2,-3],"data_offsets":[0,24]})"),
       "bad dimension", KILN_ERR_FORMAT},
      {withW(R"("w":{"shape":[2,3],"data_offsets":[0,24]})"),
       "tensor \"w\": no \"dtype\" string", KILN_ERR_FORMAT},
      {withW(R"("w":[1])"), "tensor \"w\": entry is not an object",
       KILN_ERR_FORMAT},
      {withW(R"("b":{"dtype":"F32","shape":[2],"data_offsets":[24,32]})"),
       "tensor \"b\" appears twice", KILN_ERR_FORMAT},
      {stFile(R"({"w":{"dtype":"F32",})", data48),
       "w.safetensors: header: JSON at byte 20: expected a string key",
       KILN_ERR_FORMAT},
      {stFile("[]", ""), "header is not a JSON object", KILN_ERR_FORMAT},
      {stFile(R"({"__metadata__":3})", ""), "\"__metadata__\" is not an object",
       KILN_ERR_FORMAT},
      {std::string("\xff\xff\xff\x00\x00\x00\x00\x00{}", 10),
       "header length 16777215 exceeds the file size 10", KILN_ERR_FORMAT},
      {"abc", "3 bytes, too short", KILN_ERR_FORMAT},
  };
  for (const Case &c : cases) {
    auto p = dir.write("w.safetensors", c.file);
    State s(reg);
    for (int64_t i = 0; i < s.size; ++i)
      s.data[i] = 42;
    kiln_error err{};
    EXPECT_EQ(kiln_safetensors_load(reg, s.data, p.c_str(), &err), c.st)
        << c.message;
    EXPECT_TRUE(contains(err.message, c.message))
        << "want: " << c.message << "\ngot:  " << err.message;
    for (int64_t i = 0; i < s.size; ++i)
      ASSERT_EQ(s.data[i], 42) << "a failed load must leave the state alone";
  }
  kiln_error err{};
  State s(reg);
  EXPECT_EQ(kiln_safetensors_load(reg, s.data, dir.path("none").c_str(), &err),
            KILN_ERR_IO);
}

// A NaN or an infinity in any tensor (or an F64 beyond float32) is refused
// with the tensor and the element; the state stays as it was.
TEST(Safetensors, NonFiniteWeightsAreRefusedByName) {
  TempDir dir;
  const std::string rest =
      R"("b":{"dtype":"F32","shape":[2],"data_offsets":[24,32]},)"
      R"("bn.running_mean":{"dtype":"F32","shape":[2],"data_offsets":[32,40]},)"
      R"("bn.running_var":{"dtype":"F32","shape":[2],"data_offsets":[40,48]}})";
  const std::string w32 =
      R"({"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)";
  const float inf = INFINITY, nan = NAN;
  struct Case {
    std::string file, message;
  } cases[] = {
      {stFile(w32 + rest, bytes<float>({1, 2, 3, 4, 5, 6, 0, 0, 0, inf, 1, 1})),
       "w.safetensors: tensor \"bn.running_mean\": element [1] is inf"},
      {stFile(w32 + rest, bytes<float>({1, 2, 3, 4, 5, nan, 0, 0, 0, 0, 1, 1})),
       "w.safetensors: tensor \"w\": element [1, 2] is nan"},
      {stFile(w32 + rest, bytes<float>({1, 2, 3, 4, 5, 6, -inf, 0, 0, 0, 1, 1})),
       "tensor \"b\": element [0] is -inf"},
      {stFile(R"({"w":{"dtype":"F64","shape":[2,3],"data_offsets":[0,48]},)"
              R"("b":{"dtype":"F32","shape":[2],"data_offsets":[48,56]},)"
              R"("bn.running_mean":{"dtype":"F32","shape":[2],"data_offsets":[56,64]},)"
              R"("bn.running_var":{"dtype":"F32","shape":[2],"data_offsets":[64,72]}})",
              bytes<double>({1, 1e300, 0, 0, 0, 0}) + bytes<float>({0, 0, 0, 0, 1, 1})),
       "tensor \"w\": element [0, 1] is 1e+300, beyond float32's range"},
  };
  for (const Case &c : cases) {
    auto p = dir.write("w.safetensors", c.file);
    State s(reg);
    for (int64_t i = 0; i < s.size; ++i)
      s.data[i] = 42;
    kiln_error err{};
    EXPECT_EQ(kiln_safetensors_load(reg, s.data, p.c_str(), &err), KILN_ERR_VALUE)
        << c.message;
    EXPECT_TRUE(contains(err.message, c.message))
        << "want: " << c.message << "\ngot:  " << err.message;
    for (int64_t i = 0; i < s.size; ++i)
      ASSERT_EQ(s.data[i], 42) << "a failed load must leave the state alone";
  }
}

// A header of 200k valid entries is checked in O(n log n): comparing every
// pair of names took 51 s for 100k. The test asserts no time; it only
// finishes quickly with the fix.
TEST(Safetensors, HugeHeadersAreCheckedQuickly) {
  const int n = 200000;
  // Built in place (8 bytes of length patched at the end): copies of a
  // 12 MB string would cost more than the check.
  std::string f(8, '\0');
  f.reserve(size_t(n) * 60);
  f += R"({"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
       R"("b":{"dtype":"F32","shape":[2],"data_offsets":[24,32]},)"
       R"("bn.running_mean":{"dtype":"F32","shape":[2],"data_offsets":[32,40]},)"
       R"("bn.running_var":{"dtype":"F32","shape":[2],"data_offsets":[40,48]})";
  for (int i = 0; i < n; ++i) {
    f += ",\"t";
    f += std::to_string(i);
    f += R"(":{"dtype":"F32","shape":[0],"data_offsets":[48,48]})";
  }
  // Of several duplicates, the one the header repeats first is named.
  f += R"(,"t7":{},"t3":{},"t7":{}})";
  uint64_t header = f.size() - 8;
  for (int i = 0; i < 8; ++i)
    f[i] = char((header >> (8 * i)) & 0xff);
  f.append(48, '\0');
  State s(reg);
  kiln_error err{};
  EXPECT_EQ(kiln_safetensors_parse(reg, s.data, "big", f.data(), f.size(), &err),
            KILN_ERR_FORMAT);
  EXPECT_STREQ(err.message, "big: tensor \"t7\" appears twice in the header");
}

// Truncations and byte flips of a valid file: an error or a load, never a
// crash.
TEST(Safetensors, SurvivesFuzzing) {
  std::string good = handWritten();
  State s(reg);
  kiln_error err{};
  auto attempt = [&](const std::string &f) {
    kiln_status st =
        kiln_safetensors_parse(reg, s.data, "f", f.data(), f.size(), &err);
    ASSERT_TRUE(st == KILN_OK || st == KILN_ERR_FORMAT || st == KILN_ERR_SHAPE ||
                st == KILN_ERR_VALUE)
        << st;
  };
  for (size_t len = 0; len < good.size(); ++len)
    attempt(good.substr(0, len));
  std::mt19937 rng(99);
  for (int i = 0; i < 20000; ++i) {
    std::string f = good;
    for (int e = 0; e < 3; ++e)
      f[rng() % std::min<size_t>(f.size(), 300)] = char(rng() & 0xff);
    attempt(f);
  }
}

TEST(Safetensors, NumpyReadsWhatWeWrite) {
  if (!haveNumpy())
    GTEST_SKIP() << "/usr/bin/python3 has no numpy";
  TempDir dir;
  State s(reg);
  for (int64_t i = 0; i < s.size; ++i)
    s.data[i] = float(i) * 0.25f - 1;
  auto p = dir.path("np.safetensors");
  kiln_error err{};
  ASSERT_EQ(kiln_safetensors_save(reg, s.data, p.c_str(), &err), KILN_OK);
  // The format parsed by hand, as torch/safetensors would.
  auto script = dir.write("check.py", R"(
import json, struct, sys
import numpy as np
raw = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
header = json.loads(raw[8:8 + n])
data = raw[8 + n:]
assert header.pop('__metadata__')['format'] == 'pt'
for name in sorted(header):
    e = header[name]
    assert e['dtype'] == 'F32'
    b, end = e['data_offsets']
    a = np.frombuffer(data[b:end], dtype='<f4').reshape(e['shape'])
    print(name, list(a.shape), ' '.join('%g' % v for v in a.ravel()))
)");
  std::string out = dir.path("out.txt");
  ASSERT_EQ(std::system(("/usr/bin/python3 " + script + " " + p + " > " + out)
                            .c_str()),
            0);
  EXPECT_EQ(readFile(out), "b [2] 0.5 0.75\n"
                           "bn.running_mean [2] 1 1.25\n"
                           "bn.running_var [2] 1.5 1.75\n"
                           "w [2, 3] -1 -0.75 -0.5 -0.25 0 0.25\n");
}

} // namespace
