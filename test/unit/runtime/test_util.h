//===- test_util.h - Temp files and CLI runs for the runtime tests --------===//

#ifndef KILN_TEST_RUNTIME_UTIL_H
#define KILN_TEST_RUNTIME_UTIL_H

#include "fake_models.h"
#include "rt_internal.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kiln_test {

/// A fresh directory under $TMPDIR, removed with its files at the end.
class TempDir {
public:
  TempDir() {
    const char *base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") +
                       "/kiln_rt_test.XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!mkdtemp(buf.data()))
      ADD_FAILURE() << "mkdtemp failed";
    dir_ = buf.data();
  }
  ~TempDir() {
    if (DIR *d = opendir(dir_.c_str())) {
      while (dirent *e = readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..")
          std::remove((dir_ + "/" + n).c_str());
      }
      closedir(d);
    }
    rmdir(dir_.c_str());
  }
  std::string path(const std::string &name) const { return dir_ + "/" + name; }
  /// Writes `content` to a file in the directory and returns its path.
  std::string write(const std::string &name, const std::string &content) const {
    std::string p = path(name);
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    if (DIR *d = opendir(dir_.c_str())) {
      while (dirent *e = readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..")
          out.push_back(n);
      }
      closedir(d);
    }
    return out;
  }

private:
  std::string dir_;
};

inline std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline bool fileExists(const std::string &path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

inline std::string streamText(FILE *f) {
  std::string s;
  std::rewind(f);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0)
    s.append(buf, n);
  return s;
}

struct CliResult {
  int rc;
  std::string out, err;
};

/// Runs kiln_main on a model with argv = {"prog", args...}.
inline CliResult runCli(const kiln_model *m,
                        std::initializer_list<std::string> args) {
  std::vector<std::string> storage{"./prog"};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char *> argv;
  for (auto &s : storage)
    argv.push_back(&s[0]);
  argv.push_back(nullptr);
  FILE *out = std::tmpfile(), *err = std::tmpfile();
  int rc = kiln_main_streams((int)storage.size(), argv.data(), m, out, err);
  CliResult r{rc, streamText(out), streamText(err)};
  std::fclose(out);
  std::fclose(err);
  return r;
}

inline bool contains(const std::string &hay, const std::string &needle) {
  return hay.find(needle) != std::string::npos;
}

/// A state buffer for a model, 64-byte aligned and zeroed.
struct State {
  explicit State(const kiln_model *m)
      : data(static_cast<float *>(
            kiln_alloc_aligned((size_t)m->state_size * sizeof(float)))),
        size(m->state_size) {}
  ~State() { std::free(data); }
  State(const State &) = delete;
  State &operator=(const State &) = delete;
  float *data;
  int64_t size;
};

struct Workspace {
  explicit Workspace(const kiln_model *m)
      : data(static_cast<uint8_t *>(
            kiln_alloc_aligned((size_t)m->workspace_size))) {}
  ~Workspace() { std::free(data); }
  Workspace(const Workspace &) = delete;
  Workspace &operator=(const Workspace &) = delete;
  uint8_t *data;
};

/// Whether /usr/bin/python3 can import numpy (for cross-checks).
inline bool haveNumpy() {
  return std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") == 0;
}

} // namespace kiln_test

#endif
