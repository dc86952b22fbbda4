//===- Header.cpp - The C header of an embeddable model -------------------===//
//
// The header is one fmt template, so that it reads as the C it generates
// (C's own braces are doubled); the parts that depend on the build are
// filled in as named arguments.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Codegen.h"

#include "llvm/ADT/StringExtras.h"

#include <fmt/format.h>

using namespace kiln;

namespace {

constexpr const char *kHeaderTemplate = R"(/* {n}.h - the {n} model, compiled by kiln.
 *
 * Link with {n}.o and libkiln_rt.a (and -lm -lpthread{openmp}).{distributed}
 * Every function returns KILN_OK or an error code; on error,
 * {n}_last_error() says what went wrong. None aborts.
 *
 *   kiln_ctx *ctx;
 *   kiln_error err;
 *   if ({n}_create(&ctx, &err) != KILN_OK) {{ puts(err.message); ... }}
{weights_usage} *   {n}_predict(ctx, x, rows, y);   // x: rows x {N}_INPUT_DIM, y: rows x {N}_OUTPUT_DIM
 *   {n}_destroy(ctx);
 */

#ifndef KILN_MODEL_{N}_H
#define KILN_MODEL_{N}_H

#include "kiln_rt.h"

#ifdef __cplusplus
extern "C" {{
#endif

/* Floats per input row and per prediction row. */
#define {N}_INPUT_DIM {input_dim}
#define {N}_OUTPUT_DIM {output_dim}

/* The model: state layout, compiled functions, defaults. */
extern const kiln_model {n}_model;

/* A context holds the weights and the scratch memory of one model
 * instance; use one per thread.{starts_with_weights} */
static inline kiln_status {n}_create(kiln_ctx **ctx, kiln_error *err) {{
  return kiln_ctx_create(&{n}_model, ctx, err);
}}
static inline void {n}_destroy(kiln_ctx *ctx) {{
  kiln_ctx_destroy(ctx);
}}
/* Fresh weights, as the spec's initializers draw them. */
static inline kiln_status {n}_init_weights(kiln_ctx *ctx, uint64_t seed) {{
  return kiln_ctx_init(ctx, seed);
}}
/* Weights from / to a safetensors checkpoint. */
static inline kiln_status {n}_load(kiln_ctx *ctx, const char *path) {{
  return kiln_ctx_load(ctx, path);
}}
static inline kiln_status {n}_save(kiln_ctx *ctx, const char *path) {{
  return kiln_ctx_save(ctx, path);
}}
/* y[rows][{N}_OUTPUT_DIM] from x[rows][{N}_INPUT_DIM], any number of rows. */
static inline kiln_status {n}_predict(kiln_ctx *ctx, const float *x, int64_t rows, float *y) {{
  return kiln_ctx_predict(ctx, x, rows, y);
}}
static inline const char *{n}_last_error(const kiln_ctx *ctx) {{
  return kiln_ctx_last_error(ctx);
}}

#ifdef __cplusplus
}}
#endif

#endif
)";

} // namespace

std::string kiln::generateHeader(const ModelInfo &info) {
  std::string n = info.config.getName().str();
  std::string weightsUsage =
      info.weights.empty()
          ? fmt::format(" *   if ({0}_load(ctx, \"weights.safetensors\") != "
                        "KILN_OK) {{ puts({0}_last_error(ctx)); ... }}\n",
                        n)
          : fmt::format(" *   (the trained weights are compiled in{}:\n"
                        " *   a new context predicts at once; {}_load "
                        "replaces them)\n",
                        info.prepare.empty() ? "" : ", folded for prediction",
                        n);
  std::string openmp =
      info.threads ? fmt::format(" {}: its kernels run on OpenMP threads",
                                 kOpenMPLinkFlag.str())
                   : "";
  std::string distributed =
      info.gradBlocks.empty()
          ? ""
          : "\n * Built with --distributed: to train on several processes "
            "(kiln_train_options::comm,\n * docs/distributed.md), link "
            "libkiln_rt_mpi.a before libkiln_rt.a, and Open MPI's -lmpi.";
  return fmt::format(
      kHeaderTemplate, fmt::arg("n", n), fmt::arg("distributed", distributed),
      fmt::arg("N", llvm::StringRef(n).upper()), fmt::arg("openmp", openmp),
      fmt::arg("weights_usage", weightsUsage),
      fmt::arg("input_dim", info.config.getInputDim()),
      fmt::arg("output_dim", info.outputDim),
      fmt::arg("starts_with_weights",
               info.weights.empty()
                   ? ""
                   : " It starts with the compiled-in weights."));
}
