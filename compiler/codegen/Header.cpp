//===- Header.cpp - The C header of an embeddable model -------------------===//

#include "kiln/Codegen/Codegen.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace kiln;

std::string kiln::generateHeader(const ModelInfo &info) {
  const std::string &n = info.config.name;
  std::string upper = llvm::StringRef(n).upper();
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "/* " << n << ".h - the " << n << " model, compiled by kiln.\n"
     << " *\n"
     << " * Link with " << n << ".o and libkiln_rt.a (and -lm -lpthread"
     << (info.threads ? " " + kOpenMPLinkFlag.str() +
                            ": its kernels run on OpenMP threads" : std::string())
     << ").\n"
     << " * Every function returns KILN_OK or an error code; on error,\n"
     << " * " << n << "_last_error() says what went wrong. None aborts.\n"
     << " *\n"
     << " *   kiln_ctx *ctx;\n"
     << " *   kiln_error err;\n"
     << " *   if (" << n << "_create(&ctx, &err) != KILN_OK) { puts(err.message); ... }\n"
     << (info.weights.empty()
             ? " *   if (" + n + "_load(ctx, \"weights.safetensors\") != KILN_OK) { puts(" +
                   n + "_last_error(ctx)); ... }\n"
             : std::string(" *   (the trained weights are compiled in") +
                   (info.prepare.empty() ? "" : ", folded for prediction") +
                   ":\n *   a new context predicts at once; " + n +
                   "_load replaces them)\n")
     << " *   " << n << "_predict(ctx, x, rows, y);   // x: rows x " << upper
     << "_INPUT_DIM, y: rows x " << upper << "_OUTPUT_DIM\n"
     << " *   " << n << "_destroy(ctx);\n"
     << " */\n\n"
     << "#ifndef KILN_MODEL_" << upper << "_H\n"
     << "#define KILN_MODEL_" << upper << "_H\n\n"
     << "#include \"kiln_rt.h\"\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
     << "/* Floats per input row and per prediction row. */\n"
     << "#define " << upper << "_INPUT_DIM " << info.config.inputDim << "\n"
     << "#define " << upper << "_OUTPUT_DIM " << info.outputDim << "\n\n"
     << "/* The model: state layout, compiled functions, defaults. */\n"
     << "extern const kiln_model " << n << "_model;\n\n"
     << "/* A context holds the weights and the scratch memory of one model\n"
     << " * instance; use one per thread."
     << (info.weights.empty() ? "" : " It starts with the compiled-in weights.")
     << " */\n"
     << "static inline kiln_status " << n
     << "_create(kiln_ctx **ctx, kiln_error *err) {\n"
     << "  return kiln_ctx_create(&" << n << "_model, ctx, err);\n}\n"
     << "static inline void " << n << "_destroy(kiln_ctx *ctx) {\n"
     << "  kiln_ctx_destroy(ctx);\n}\n"
     << "/* Fresh weights, as the spec's initializers draw them. */\n"
     << "static inline kiln_status " << n
     << "_init_weights(kiln_ctx *ctx, uint64_t seed) {\n"
     << "  return kiln_ctx_init(ctx, seed);\n}\n"
     << "/* Weights from / to a safetensors checkpoint. */\n"
     << "static inline kiln_status " << n
     << "_load(kiln_ctx *ctx, const char *path) {\n"
     << "  return kiln_ctx_load(ctx, path);\n}\n"
     << "static inline kiln_status " << n
     << "_save(kiln_ctx *ctx, const char *path) {\n"
     << "  return kiln_ctx_save(ctx, path);\n}\n"
     << "/* y[rows][" << upper << "_OUTPUT_DIM] from x[rows][" << upper
     << "_INPUT_DIM], any number of rows. */\n"
     << "static inline kiln_status " << n
     << "_predict(kiln_ctx *ctx, const float *x, int64_t rows, float *y) {\n"
     << "  return kiln_ctx_predict(ctx, x, rows, y);\n}\n"
     << "static inline const char *" << n
     << "_last_error(const kiln_ctx *ctx) {\n"
     << "  return kiln_ctx_last_error(ctx);\n}\n\n"
     << "#ifdef __cplusplus\n}\n#endif\n\n"
     << "#endif\n";
  return s;
}
