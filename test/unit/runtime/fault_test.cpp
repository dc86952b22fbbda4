//===- fault_test.cpp - Saves killed at random points ---------------------===//
//
// A child process saves checkpoints in a loop and is killed with SIGKILL at
// a random moment, many times over: the target must always load as one
// complete checkpoint, the old or a new one, and the temporary file a kill
// leaves must be gone after the next successful save.
//
//===----------------------------------------------------------------------===//

#include "test_util.h"

#include <csignal>
#include <random>

#include <sys/wait.h>
#include <time.h>

using namespace kiln_test;

namespace {

// One 1 MiB tensor, so that kills land inside writes and not only between
// saves. Only the checkpoint code runs, so the regressor's functions serve.
constexpr int64_t kFloats = 256 * 1024;
const kiln_tensor_info kBigTensor[] = {
    {"big", KILN_ROLE_PARAM, KILN_INIT_ZEROS, 2, 0, {512, 512, 0, 0}, kFloats,
     0, 0.0, 0.0, 512, 512},
};

kiln_model bigModel() {
  kiln_model m = fake_regressor_model;
  m.name = "big";
  m.num_tensors = 1;
  m.tensors = kBigTensor;
  m.state_size = kFloats;
  return m;
}

// Every element of a saved state is its generation number.
void fill(float *state, float generation) {
  std::fill(state, state + kFloats, generation);
}

std::vector<std::string> tempFiles(const TempDir &dir) {
  std::vector<std::string> out;
  for (const std::string &f : dir.files())
    if (f.find(".tmp.") != std::string::npos)
      out.push_back(f);
  return out;
}

TEST(Fault, KilledSavesLeaveACompleteCheckpoint) {
  const kiln_model m = bigModel();
  TempDir dir;
  const std::string path = dir.path("w.safetensors");
  State s(&m), back(&m);
  kiln_error err{};
  fill(s.data, 0);
  ASSERT_EQ(kiln_safetensors_save(&m, s.data, path.c_str(), &err), KILN_OK)
      << err.message;
  std::mt19937 rng(1234);
  float newest = 0; // the largest generation the parent has seen
  int leftovers = 0;
  for (int round = 1; round <= 25; ++round) {
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      // Generations above everything saved before this round.
      for (int g = 1; g <= 1000; ++g) {
        fill(s.data, float(round * 1000 + g));
        if (kiln_safetensors_save(&m, s.data, path.c_str(), nullptr) != KILN_OK)
          _exit(1);
      }
      _exit(0);
    }
    struct timespec pause = {0, long(rng() % 20000) * 1000}; // < 20 ms
    nanosleep(&pause, nullptr);
    kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_FALSE(WIFEXITED(status) && WEXITSTATUS(status) != 0)
        << "a save failed in the child";

    ASSERT_EQ(kiln_safetensors_load(&m, back.data, path.c_str(), &err), KILN_OK)
        << "round " << round << ": " << err.message;
    float g = back.data[0];
    for (int64_t i = 0; i < kFloats; ++i)
      ASSERT_EQ(back.data[i], g) << "round " << round << ": mixed checkpoints";
    ASSERT_GE(g, newest) << "round " << round << ": an older checkpoint is back";
    newest = g;
    leftovers += !tempFiles(dir).empty();

    // The next successful save removes what the kill left.
    if (round % 5 == 0) {
      fill(s.data, newest);
      ASSERT_EQ(kiln_safetensors_save(&m, s.data, path.c_str(), &err), KILN_OK)
          << err.message;
      EXPECT_EQ(tempFiles(dir), std::vector<std::string>{})
          << "round " << round;
    }
  }
  // Recorded, not asserted (it depends on the machine's speed): how many
  // kills landed inside a save, which is the point of the test; 19 of 25
  // where it was written.
  RecordProperty("rounds_with_a_temporary_file", leftovers);
}

} // namespace
