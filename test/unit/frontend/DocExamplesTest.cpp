//===- DocExamplesTest.cpp - The docs' examples must compile --------------===//
//
// Every ```kiln block of the language reference and of the optimizer page is
// a complete spec that must check without errors; ```kiln-error blocks must
// fail. So the reference cannot drift from the implementation unnoticed.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "llvm/ADT/StringRef.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

using kiln::test::SpecRun;

namespace {

struct Example {
  unsigned line; // of the opening fence in `page`
  bool expectError;
  std::string text;
};

/// The examples of docs/<page>, in order.
std::vector<Example> readExamples(const std::string &page = "language.md") {
  std::ifstream file(KILN_SOURCE_DIR "/docs/" + page);
  std::vector<Example> examples;
  std::string line;
  unsigned lineNo = 0;
  Example *open = nullptr;
  while (std::getline(file, line)) {
    ++lineNo;
    llvm::StringRef l(line);
    if (open) {
      if (l.trim() == "```")
        open = nullptr;
      else
        open->text += line + "\n";
    } else if (l == "```kiln" || l == "```kiln-error") {
      examples.push_back({lineNo, l == "```kiln-error", ""});
      open = &examples.back();
    }
  }
  return examples;
}

TEST(DocExamples, EveryExampleChecksAsDocumented) {
  const std::pair<std::string, size_t> pages[] = {{"language.md", 8},
                                                  {"optimizers.md", 4}};
  for (const auto &[page, least] : pages) {
    std::vector<Example> examples = readExamples(page);
    ASSERT_GE(examples.size(), least) << "docs/" << page
                                      << " lost its examples";
    for (const Example &e : examples) {
      auto run = SpecRun::check(e.text);
      if (e.expectError)
        EXPECT_FALSE(run->model.has_value())
            << page << ":" << e.line << " should fail:\n" << e.text;
      else
        EXPECT_TRUE(run->model.has_value())
            << page << ":" << e.line << ":\n"
            << run->diagnostics() << e.text;
    }
  }
}

TEST(DocExamples, TheOverviewExampleIsTheTestSpec) {
  std::vector<Example> examples = readExamples();
  ASSERT_FALSE(examples.empty());
  auto fromDoc = SpecRun::check(examples.front().text);
  auto fromTest = SpecRun::check(kiln::test::digitsSpec());
  ASSERT_TRUE(fromDoc->model && fromTest->model);
  EXPECT_EQ(fromDoc->model->states.size(), fromTest->model->states.size());
  EXPECT_EQ(fromDoc->model->nodes.size(), fromTest->model->nodes.size());
}

TEST(DocExamples, StateNamesAreAsTheTextSays) {
  // "Names of states" lists the states of the `residual` example.
  for (const Example &e : readExamples()) {
    if (e.text.find("model residual") == std::string::npos)
      continue;
    auto run = SpecRun::check(e.text);
    ASSERT_TRUE(run->model);
    std::vector<std::string> names;
    for (const kiln::StateTensor &s : run->model->states)
      names.push_back(s.name);
    EXPECT_EQ(names, (std::vector<std::string>{
                         "res0.scale", "res0.dense0.weight", "res0.dense0.bias",
                         "second.scale", "second.dense0.weight",
                         "second.dense0.bias", "dense0.weight",
                         "dense0.bias"}));
    return;
  }
  FAIL() << "the residual example is gone from docs/language.md";
}

} // namespace
