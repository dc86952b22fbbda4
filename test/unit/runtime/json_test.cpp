//===- json_test.cpp - The strict JSON parser, including fuzzing ----------===//

#include "test_util.h"

#include <random>

using namespace kiln_test;

namespace {

struct Parsed {
  kiln_status st;
  kiln_json *v = nullptr;
  std::string msg;
  ~Parsed() { kiln_json_free(v); }
};

std::unique_ptr<Parsed> parse(const std::string &text) {
  auto p = std::make_unique<Parsed>();
  kiln_error err{};
  p->st = kiln_json_parse(text.data(), text.size(), &p->v, &err);
  p->msg = err.message;
  return p;
}

TEST(Json, ParsesValuesOfEveryKind) {
  auto p = parse(R"( {"a": [1, -2.5e3, 0.125, true, false, null],
                      "b": {"c": "x\"y\\z\/\n\u00e9\ud83d\ude00"}, "": 0} )");
  ASSERT_EQ(p->st, KILN_OK) << p->msg;
  ASSERT_EQ(p->v->kind, KILN_JSON_OBJECT);
  ASSERT_EQ(p->v->count, 3);
  const kiln_json *a = kiln_json_get(p->v, "a");
  ASSERT_TRUE(a && a->kind == KILN_JSON_ARRAY && a->count == 6);
  EXPECT_EQ(a->items[0].number, 1);
  EXPECT_EQ(a->items[1].number, -2500);
  EXPECT_EQ(a->items[2].number, 0.125);
  EXPECT_EQ(a->items[3].kind, KILN_JSON_TRUE);
  EXPECT_EQ(a->items[4].kind, KILN_JSON_FALSE);
  EXPECT_EQ(a->items[5].kind, KILN_JSON_NULL);
  const kiln_json *c = kiln_json_get(kiln_json_get(p->v, "b"), "c");
  ASSERT_TRUE(c && c->kind == KILN_JSON_STRING);
  EXPECT_EQ(std::string(c->str, c->len),
            "x\"y\\z/\n\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_TRUE(kiln_json_get(p->v, ""));
  EXPECT_FALSE(kiln_json_get(p->v, "zz"));
}

TEST(Json, KeepsEmbeddedNulInStrings) {
  auto p = parse(R"("a\u0000b")");
  ASSERT_EQ(p->st, KILN_OK);
  EXPECT_EQ(p->v->len, 3u);
  EXPECT_EQ(std::string(p->v->str, 3), std::string("a\0b", 3));
}

TEST(Json, RejectsWhatRfc8259Rejects) {
  struct Case {
    const char *text, *message;
  } cases[] = {
      {"", "JSON at byte 0: expected a value (unexpected end)"},
      {"{\"a\":1,}", "JSON at byte 7: expected a string key"},
      {"[1,]", "JSON at byte 3: expected a value"},
      {"[1 2]", "JSON at byte 3: expected ',' or ']'"},
      {"{\"a\" 1}", "JSON at byte 5: expected ':'"},
      {"01", "JSON at byte 1: trailing characters after the value"},
      {"1.", "expected a digit after '.'"},
      {"1e", "expected a digit in the exponent"},
      {"-", "expected a digit"},
      {"+1", "expected a value"},
      {".5", "expected a value"},
      {"\"abc", "unterminated string"},
      {"\"a\tb\"", "control character in string"},
      {"\"\\x\"", "invalid escape"},
      {"\"\\u12\"", "expected 4 hex digits"},
      {"\"\\udc00\"", "unpaired low surrogate"},
      {"\"\\ud800x\"", "unpaired high surrogate"},
      {"\"\xc3\"", "invalid UTF-8"},
      {"\"\xc0\xaf\"", "invalid UTF-8"},    // overlong '/'
      {"\"\xed\xa0\x80\"", "invalid UTF-8"}, // encoded surrogate
      {"tru", "expected a value"},
      {"nul", "expected a value"},
      {"{} {}", "trailing characters"},
      {"// c\n1", "expected a value"},
      {"'a'", "expected a value"},
      {"NaN", "expected a value"},
  };
  for (const Case &c : cases) {
    auto p = parse(c.text);
    EXPECT_EQ(p->st, KILN_ERR_FORMAT) << c.text;
    EXPECT_TRUE(contains(p->msg, c.message))
        << c.text << " gave: " << p->msg;
    EXPECT_EQ(p->v, nullptr);
  }
}

TEST(Json, BoundsNestingInsteadOfOverflowingTheStack) {
  auto ok = parse(std::string(64, '[') + std::string(64, ']'));
  EXPECT_EQ(ok->st, KILN_OK) << ok->msg;
  auto deep = parse(std::string(65, '[') + std::string(65, ']'));
  EXPECT_EQ(deep->st, KILN_ERR_FORMAT);
  EXPECT_TRUE(contains(deep->msg, "nested too deeply"));
  auto huge = parse(std::string(100000, '['));
  EXPECT_EQ(huge->st, KILN_ERR_FORMAT);
}

TEST(Json, DoesNotReadPastTheGivenLength) {
  // The text continues past `len` with a valid suffix; it must not be seen.
  std::string s = "[1, 2]";
  kiln_json *v = nullptr;
  kiln_error err{};
  EXPECT_EQ(kiln_json_parse(s.data(), 4, &v, &err), KILN_ERR_FORMAT);
  EXPECT_EQ(v, nullptr);
}

TEST(Json, QuoteEscapesForJson) {
  char buf[64];
  size_t n = kiln_json_quote(buf, sizeof buf, "a\"b\\c\n");
  EXPECT_EQ(std::string(buf), "\"a\\\"b\\\\c\\u000a\"");
  EXPECT_EQ(n, std::string(buf).size());
  auto back = parse(buf);
  ASSERT_EQ(back->st, KILN_OK);
  EXPECT_EQ(std::string(back->v->str), "a\"b\\c\n");
  // Truncation still terminates, and the return value is the full length.
  char small[4];
  EXPECT_EQ(kiln_json_quote(small, sizeof small, "abcdef"), 8u);
  EXPECT_EQ(std::string(small), "\"ab");
}

// Random and mutated inputs: every one must give OK or a FORMAT error, and
// never crash or leak (run under ASan/valgrind to see the latter).
TEST(Json, SurvivesFuzzing) {
  const std::string seed_doc =
      R"({"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2,3],)"
      R"("data_offsets":[0,24]},"s":"\u00e9\ud83d\ude00","n":[-1.5e-3,true,null]})";
  std::mt19937 rng(1234);
  int ok = 0, rejected = 0;
  auto check = [&](const std::string &s) {
    kiln_json *v = nullptr;
    kiln_error err{};
    kiln_status st = kiln_json_parse(s.data(), s.size(), &v, &err);
    ASSERT_TRUE(st == KILN_OK || st == KILN_ERR_FORMAT) << st;
    ASSERT_EQ(st == KILN_OK, v != nullptr);
    (st == KILN_OK ? ok : rejected)++;
    kiln_json_free(v);
  };
  for (size_t len = 0; len <= seed_doc.size(); ++len)
    check(seed_doc.substr(0, len));
  const std::string alphabet = "{}[]\",:.-+eE0123456789 \\utrfanl\x80\xff";
  for (int i = 0; i < 20000; ++i) {
    std::string s = seed_doc;
    int edits = 1 + int(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t pos = rng() % s.size();
      switch (rng() % 3) {
      case 0:
        s[pos] = alphabet[rng() % alphabet.size()];
        break;
      case 1:
        s.erase(pos, 1 + rng() % 3);
        break;
      default:
        s.insert(pos, 1, alphabet[rng() % alphabet.size()]);
        break;
      }
      if (s.empty())
        s = "x";
    }
    check(s);
  }
  for (int i = 0; i < 5000; ++i) {
    std::string s(rng() % 64, '\0');
    for (char &ch : s)
      ch = alphabet[rng() % alphabet.size()];
    check(s);
  }
  EXPECT_GT(ok, 0);
  EXPECT_GT(rejected, 0);
}

} // namespace
