//===- Support.cpp - Files, processes and buffers for the e2e tests -------===//

#include "Support.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace kiln::e2e;

namespace {

constexpr rlim_t kCommandCPUSeconds = 120;
constexpr rlim_t kCommandMemoryBytes = rlim_t(8) << 30;
constexpr unsigned kCommandWallSeconds = 300;

std::string &scratchPath() {
  static std::string path;
  return path;
}

void removeScratch() {
  if (scratchPath().empty() || std::getenv("KILN_E2E_KEEP"))
    return;
  std::error_code ec; // best effort: nothing to report to at exit
  std::filesystem::remove_all(scratchPath(), ec);
}

} // namespace

const std::string &kiln::e2e::scratchDir() {
  std::string &path = scratchPath();
  if (path.empty()) {
    const char *tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") +
                          "/kiln-e2e-XXXXXX";
    if (!mkdtemp(pattern.data()))
      throw std::runtime_error("mkdtemp: " + std::string(strerror(errno)));
    path = pattern;
    std::atexit(removeScratch);
  }
  return path;
}

std::string kiln::e2e::makeScratchDir(const std::string &stem) {
  static int counter = 0;
  std::string dir = scratchDir() + "/" + stem + "." + std::to_string(counter++);
  if (mkdir(dir.c_str(), 0755) != 0)
    throw std::runtime_error("mkdir " + dir + ": " + strerror(errno));
  return dir;
}

std::string kiln::e2e::readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void kiln::e2e::writeFile(const std::string &path, const std::string &text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out)
    throw std::runtime_error("cannot write " + path);
}

bool kiln::e2e::fileExists(const std::string &path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

std::string CommandResult::describe() const {
  std::string s = "$ " + command + "\n";
  if (signaled)
    s += "killed by signal " + std::to_string(signal) + " (" +
         strsignal(signal) + ")" +
         (signal == SIGXCPU || signal == SIGALRM || signal == SIGKILL
              ? ": over the time or memory limit of runCommand\n"
              : "\n");
  else
    s += "exit status " + std::to_string(exitCode) + "\n";
  return s + "--- stdout:\n" + out + "--- stderr:\n" + err;
}

CommandResult kiln::e2e::runCommand(const std::vector<std::string> &argv,
                                    const std::string &cwd) {
  CommandResult result;
  for (const std::string &a : argv)
    result.command += (result.command.empty() ? "" : " ") + a;
  // Output goes to files rather than pipes: no deadlock on large outputs,
  // and no poll loop.
  static int counter = 0;
  std::string base = scratchDir() + "/cmd" + std::to_string(counter++);
  std::string outPath = base + ".out", errPath = base + ".err";
  pid_t pid = fork();
  if (pid < 0)
    throw std::runtime_error("fork: " + std::string(strerror(errno)));
  if (pid == 0) {
    int out = open(outPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
      _exit(126);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0)
      _exit(126);
    // A compiler that loops or balloons must fail this test, not take the
    // shared machine down: bounded CPU time, address space and wall time.
    struct rlimit cpu = {kCommandCPUSeconds, kCommandCPUSeconds};
    struct rlimit mem = {kCommandMemoryBytes, kCommandMemoryBytes};
    setrlimit(RLIMIT_CPU, &cpu);
    setrlimit(RLIMIT_AS, &mem);
    alarm(kCommandWallSeconds);
    std::vector<char *> args;
    for (const std::string &a : argv)
      args.push_back(const_cast<char *>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      throw std::runtime_error("waitpid: " + std::string(strerror(errno)));
  result.signaled = WIFSIGNALED(status);
  result.signal = result.signaled ? WTERMSIG(status) : 0;
  result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = readFile(outPath);
  result.err = readFile(errPath);
  unlink(outPath.c_str());
  unlink(errPath.c_str());
  return result;
}

std::vector<double> kiln::e2e::uniformVector(std::mt19937_64 &rng, size_t n,
                                             double lo, double hi) {
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(n);
  for (double &x : v)
    x = dist(rng);
  return v;
}

std::vector<double> kiln::e2e::toDouble(const float *p, size_t n) {
  return std::vector<double>(p, p + n);
}

std::vector<float> kiln::e2e::toFloat(const std::vector<double> &v) {
  return std::vector<float>(v.begin(), v.end());
}

std::vector<std::string> kiln::e2e::splitLines(const std::string &text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

std::vector<std::string> kiln::e2e::splitCSVRow(const std::string &line) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, ','))
    fields.push_back(field);
  return fields;
}
