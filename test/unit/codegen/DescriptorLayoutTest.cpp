//===- DescriptorLayoutTest.cpp - The emitted kiln_model is kiln_rt.h's ---===//
//
// Codegen builds the kiln_model descriptor as an LLVM struct, field by
// field; the runtime reads it as the C struct of include/kiln_rt.h. Every
// field's offset in the emitted struct, under the host's data layout, must
// be the C compiler's offsetof, and the sizes must agree: a field added,
// dropped or reordered on one side only fails here, not in a model.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Codegen.h"

#include "kiln_rt.h"

#include "mlir/AsmParser/AsmParser.h"
#include "llvm/IR/DataLayout.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"

#include <gtest/gtest.h>

#include <cstddef>

using namespace kiln;

namespace {

#define FIELD(f) std::pair<const char *, size_t>{#f, offsetof(kiln_model, f)}

// kiln_model's fields in declaration order.
const std::pair<const char *, size_t> kFields[] = {
    FIELD(abi_version),        FIELD(target_kind),
    FIELD(name),               FIELD(batch_size),
    FIELD(input_dim),          FIELD(target_dim),
    FIELD(num_classes),        FIELD(output_dim),
    FIELD(state_size),         FIELD(predict_state_size),
    FIELD(workspace_size),     FIELD(flops_per_sample),
    FIELD(num_tensors),        FIELD(reserved),
    FIELD(tensors),            FIELD(train_step),
    FIELD(eval_step),          FIELD(predict),
    FIELD(prepare),            FIELD(optimizer),
    FIELD(epochs),             FIELD(seed),
    FIELD(early_stopping),     FIELD(monitor),
    FIELD(patience),           FIELD(min_delta),
    FIELD(val_split),          FIELD(train_path),
    FIELD(test_path),          FIELD(num_target_columns),
    FIELD(num_feature_columns), FIELD(target_columns),
    FIELD(feature_columns),    FIELD(weights),
    FIELD(num_predict_blocks), FIELD(reserved2),
    FIELD(predict_blocks),     FIELD(schedule),
    FIELD(learning_rate),      FIELD(grad_offset),
    FIELD(grad_size),          FIELD(num_grad_blocks),
    FIELD(reserved3),          FIELD(grad_blocks),
    FIELD(apply_update),       FIELD(num_eval_blocks),
    FIELD(reserved4),          FIELD(eval_blocks),
};

#undef FIELD

/// A model's info with nothing but its configuration, given in the
/// attribute's syntax.
ModelInfo infoOf(mlir::MLIRContext &ctx, llvm::StringRef config) {
  ctx.getOrLoadDialect<nn::NNDialect>();
  ModelInfo info;
  info.config = llvm::cast<nn::ModelAttr>(mlir::parseAttribute(config, &ctx));
  return info;
}

TEST(Descriptor, EveryFieldIsWhereKilnRtHPutsIt) {
  llvm::LLVMContext context;
  llvm::Module module("layout", context);
  // The host's layout: this test is compiled by the same C compiler, for
  // the same target, as the runtime.
  module.setDataLayout("e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-"
                       "i128:128-f80:128-n8:16:32:64-S128");
  ASSERT_EQ(sizeof(void *), 8u) << "the layout string above is x86-64's";
  mlir::MLIRContext ctx;
  ModelInfo info = infoOf(ctx, R"(#nn.model<"layout", input_dim = 3,
      optimizer = <adam>, schedule = <constant>>)");
  emitDescriptor(module, info, /*withMain=*/false);

  llvm::GlobalVariable *global = module.getGlobalVariable("layout_model");
  ASSERT_NE(global, nullptr);
  auto *type = llvm::dyn_cast<llvm::StructType>(global->getValueType());
  ASSERT_NE(type, nullptr);
  ASSERT_EQ(type->getNumElements(), std::size(kFields))
      << "kiln_model has " << std::size(kFields) << " fields";
  const llvm::StructLayout *layout =
      module.getDataLayout().getStructLayout(type);
  for (unsigned i = 0; i < type->getNumElements(); ++i)
    EXPECT_EQ(layout->getElementOffset(i), kFields[i].second)
        << "field " << i << " (" << kFields[i].first << ")";
  EXPECT_EQ(layout->getSizeInBytes(), sizeof(kiln_model));
}

// The table codegen builds the struct from names its fields as kiln_rt.h
// does, in its order: a field that moved but kept the same type (two
// int64_t swapped) has the right offsets and the wrong values.
TEST(Descriptor, TheFieldTableNamesKilnRtHsFields) {
  llvm::LLVMContext context;
  llvm::Module module("names", context);
  mlir::MLIRContext ctx;
  ModelInfo info = infoOf(
      ctx, R"(#nn.model<"names", optimizer = <adam>, schedule = <constant>>)");
  std::vector<std::string> names = descriptorFieldNames(module, info);
  ASSERT_EQ(names.size(), std::size(kFields));
  for (size_t i = 0; i < names.size(); ++i)
    EXPECT_EQ(names[i], kFields[i].first) << "field " << i;
}

} // namespace
