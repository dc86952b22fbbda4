//===- LexerTest.cpp ------------------------------------------------------===//

#include "kiln/Frontend/Diagnostics.h"
#include "kiln/Frontend/Lexer.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

using namespace kiln;

namespace {

struct Lexed {
  llvm::SourceMgr sm;
  std::string out;
  llvm::raw_string_ostream os{out};
  DiagnosticEngine diag{sm, os};
  std::vector<Token> tokens;

  explicit Lexed(llvm::StringRef text) {
    unsigned id = sm.AddNewSourceBuffer(
        llvm::MemoryBuffer::getMemBufferCopy(text, "lex.kiln"), llvm::SMLoc());
    tokens = lex(sm.getMemoryBuffer(id)->getBuffer(), diag);
  }
  std::vector<TokenKind> kinds() const {
    std::vector<TokenKind> k;
    for (const Token &t : tokens)
      k.push_back(t.kind);
    return k;
  }
};

TEST(Lexer, KeywordsIdentifiersAndPunctuation) {
  Lexed l("model m input x : [ 3 ] -> as foo_1 ( ) { } , = ; + - * / @");
  using K = TokenKind;
  std::vector<K> expected = {
      K::KwModel, K::Ident,  K::KwInput, K::Ident,  K::Colon, K::LBracket,
      K::Int,     K::RBracket, K::Arrow, K::KwAs,   K::Ident, K::LParen,
      K::RParen,  K::LBrace, K::RBrace,  K::Comma,  K::Equal, K::Semi,
      K::Plus,    K::Minus,  K::Star,    K::Slash,  K::At,    K::Eof};
  EXPECT_EQ(l.kinds(), expected);
  EXPECT_EQ(l.tokens[10].text, "foo_1");
  EXPECT_EQ(l.diag.getNumErrors(), 0u);
}

TEST(Lexer, AllKeywords) {
  Lexed l("model input target param block return loss train data as");
  using K = TokenKind;
  std::vector<K> expected = {K::KwModel, K::KwInput, K::KwTarget, K::KwParam,
                             K::KwBlock, K::KwReturn, K::KwLoss,  K::KwTrain,
                             K::KwData,  K::KwAs,    K::Eof};
  EXPECT_EQ(l.kinds(), expected);
}

TEST(Lexer, Numbers) {
  Lexed l("12 0.5 1e-3 .5 2E+2 7.");
  ASSERT_EQ(l.tokens.size(), 7u);
  EXPECT_EQ(l.tokens[0].kind, TokenKind::Int);
  EXPECT_EQ(l.tokens[0].number, 12.0);
  EXPECT_EQ(l.tokens[1].kind, TokenKind::Real);
  EXPECT_EQ(l.tokens[1].number, 0.5);
  EXPECT_EQ(l.tokens[2].kind, TokenKind::Real);
  EXPECT_DOUBLE_EQ(l.tokens[2].number, 1e-3);
  EXPECT_EQ(l.tokens[3].number, 0.5);
  EXPECT_EQ(l.tokens[4].number, 200.0);
  EXPECT_EQ(l.tokens[5].kind, TokenKind::Real);
  EXPECT_EQ(l.tokens[5].number, 7.0);
  EXPECT_EQ(l.diag.getNumErrors(), 0u);
}

TEST(Lexer, ArrowVersusMinus) {
  Lexed l("a->b - -c");
  using K = TokenKind;
  std::vector<K> expected = {K::Ident, K::Arrow, K::Ident, K::Minus,
                             K::Minus, K::Ident, K::Eof};
  EXPECT_EQ(l.kinds(), expected);
}

TEST(Lexer, StringsWithEscapes) {
  Lexed l(R"("a \"b\" \\ c\td")");
  ASSERT_EQ(l.tokens.size(), 2u);
  EXPECT_EQ(l.tokens[0].kind, TokenKind::String);
  EXPECT_EQ(l.tokens[0].str, "a \"b\" \\ c\td");
}

TEST(Lexer, CommentsLinesAndColumns) {
  Lexed l("# header\nmodel m  # trailing\n  input x\n");
  ASSERT_EQ(l.tokens.size(), 5u);
  EXPECT_EQ(l.tokens[0].loc.line, 2u);
  EXPECT_EQ(l.tokens[0].loc.col, 1u);
  EXPECT_TRUE(l.tokens[0].startsLine);
  EXPECT_EQ(l.tokens[1].loc.col, 7u);
  EXPECT_FALSE(l.tokens[1].startsLine);
  EXPECT_EQ(l.tokens[2].loc.line, 3u);
  EXPECT_EQ(l.tokens[2].loc.col, 3u);
  EXPECT_TRUE(l.tokens[2].startsLine);
  EXPECT_EQ(l.tokens[4].kind, TokenKind::Eof);
}

TEST(Lexer, BadCharacterIsReportedAndSkipped) {
  Lexed l("a $ b");
  using K = TokenKind;
  EXPECT_EQ(l.kinds(), (std::vector<K>{K::Ident, K::Ident, K::Eof}));
  EXPECT_EQ(l.diag.getNumErrors(), 1u);
  EXPECT_NE(l.out.find("lex.kiln:1:3: error: unexpected character '$'"),
            std::string::npos)
      << l.out;
}

TEST(Lexer, MalformedNumbers) {
  for (const char *text : {"1e", "1.2.3", "12abc", "3e+"}) {
    Lexed l(text);
    EXPECT_EQ(l.diag.getNumErrors(), 1u) << text;
    EXPECT_NE(l.out.find("malformed number"), std::string::npos) << text;
    // One token stands for the whole junk, so the parser sees no more.
    EXPECT_EQ(l.tokens.size(), 2u) << text;
  }
}

TEST(Lexer, UnterminatedStringEndsAtTheLine) {
  Lexed l("\"abc\nnext");
  ASSERT_EQ(l.tokens.size(), 3u);
  EXPECT_EQ(l.tokens[0].kind, TokenKind::String);
  EXPECT_EQ(l.tokens[0].str, "abc");
  EXPECT_EQ(l.tokens[1].text, "next");
  EXPECT_EQ(l.diag.getNumErrors(), 1u);
  EXPECT_NE(l.out.find("unterminated string"), std::string::npos);
}

TEST(Lexer, NumberOutOfRange) {
  Lexed l("1e999");
  EXPECT_EQ(l.diag.getNumErrors(), 1u);
  EXPECT_NE(l.out.find("out of range"), std::string::npos);
}

TEST(Diagnostics, FindClosest) {
  llvm::StringRef names[] = {"relu", "dense", "dropout", "val_accuracy",
                             "val_loss"};
  EXPECT_EQ(findClosest("rleu", names), "relu");
  EXPECT_EQ(findClosest("dense", names), ""); // exact names are not typos
  EXPECT_EQ(findClosest("droput", names), "dropout");
  EXPECT_EQ(findClosest("val_acc", names), "val_accuracy"); // abbreviation
  EXPECT_EQ(findClosest("zzzzzz", names), "");
  EXPECT_EQ(didYouMean("rleu", names), "; did you mean 'relu'?");
  EXPECT_EQ(didYouMean("q", names), "");
}

TEST(Diagnostics, DuplicatesArePrintedOnce) {
  llvm::SourceMgr sm;
  std::string out;
  llvm::raw_string_ostream os(out);
  DiagnosticEngine diag(sm, os);
  unsigned id = sm.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy("abc", "d.kiln"), llvm::SMLoc());
  llvm::SMLoc at =
      llvm::SMLoc::getFromPointer(sm.getMemoryBuffer(id)->getBufferStart());
  EXPECT_TRUE(diag.error(at, "boom"));
  EXPECT_FALSE(diag.error(at, "boom"));
  EXPECT_TRUE(diag.error(at, "other"));
  EXPECT_TRUE(diag.note(at, "n"));
  EXPECT_TRUE(diag.note(at, "n"));
  EXPECT_EQ(diag.getNumErrors(), 2u);
}

TEST(Diagnostics, SortedModePrintsInSourceOrderWithNotes) {
  llvm::SourceMgr sm;
  std::string out;
  llvm::raw_string_ostream os(out);
  DiagnosticEngine diag(sm, os);
  unsigned id = sm.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy("ab\ncd\n", "d.kiln"),
      llvm::SMLoc());
  const char *start = sm.getMemoryBuffer(id)->getBufferStart();
  diag.setSorted(true);
  diag.error(llvm::SMLoc::getFromPointer(start + 3), "second");
  diag.note(llvm::SMLoc::getFromPointer(start), "note of second");
  diag.error(llvm::SMLoc::getFromPointer(start), "first");
  EXPECT_TRUE(out.empty());
  diag.setSorted(false);
  size_t first = out.find("1:1: error: first");
  size_t second = out.find("2:1: error: second");
  size_t note = out.find("1:1: note: note of second");
  ASSERT_NE(first, std::string::npos) << out;
  EXPECT_LT(first, second);
  EXPECT_LT(second, note);
}

TEST(Diagnostics, FileError) {
  llvm::SourceMgr sm;
  std::string out;
  llvm::raw_string_ostream os(out);
  DiagnosticEngine diag(sm, os);
  diag.fileError("some/path.kiln", "cannot read file: gone");
  EXPECT_EQ(out, "some/path.kiln: error: cannot read file: gone\n");
  EXPECT_EQ(diag.getNumErrors(), 1u);
}

} // namespace
