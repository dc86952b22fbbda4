//===- NNModel.td - The model configuration, nn.model ------*- tablegen -*-===//
//
// The facts about a model that are not ops: its data interface, how it
// trains and where its data lives. MLIRGen writes them as the module
// attribute `nn.model = #nn.model<...>`; the passes and codegen read them
// through the getters generated here. Each parameter's default is stated
// once, here: the parser fills it in and the printer leaves it out.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_NN_MODEL
#define KILN_NN_MODEL

// An f64 parameter, read and written as a double (kiln::nn::F64 in
// NNAttrParams.h says why it is not a plain double).
class NN_F64<string desc, string value>
    : AttrParameter<"::kiln::nn::F64", desc, "double"> {
  let parser = "::kiln::nn::parseF64($_parser)";
  let printer = "$_printer.printFloat(::llvm::APFloat($_self))";
  let comparator = "::kiln::nn::F64($_lhs) == ::kiln::nn::F64($_rhs)";
  let defaultValue = value;
}

class NN_I64<string desc, string value>
    : DefaultValuedParameter<"int64_t", value, desc>;

// A kind, written as its keyword.
class NN_Kind<EnumAttrInfo info, string value> : EnumParameter<info> {
  let defaultValue = info.cppType # "::" # value;
}

// CSV columns, written as a list of names and indices: `["label", 3]`.
class NN_Columns<string desc>
    : OptionalArrayRefParameter<"::kiln::nn::ColumnAttr", desc> {
  let parser = "::kiln::nn::parseColumns($_parser)";
  let printer = "::kiln::nn::printColumns($_printer, $_self)";
}

def NN_OptimizerAttr : NN_Attr<"Optimizer", "optimizer"> {
  let summary = "An optimizer and its hyperparameters";
  let description = [{
    `#nn.optimizer<adam, lr = 1.0e-02>`. Each hyperparameter applies to
    the kinds its comment names; the others ignore it. The defaults are
    those of the spec language (and of torch.optim, except adamw's
    weight_decay: the frontend writes the spec's).
  }];
  let parameters = (ins
    EnumParameter<NN_OptimizerKind>:$kind,
    NN_F64<"the learning rate", "1e-3">:$lr,
    NN_F64<"momentum and nesterov", "0.9">:$momentum,
    NN_F64<"rmsprop's smoothing constant", "0.99">:$rho,
    NN_F64<"adam and adamw", "0.9">:$beta1,
    NN_F64<"adam and adamw", "0.999">:$beta2,
    NN_F64<"adagrad, rmsprop, adam and adamw", "1e-8">:$eps,
    NN_F64<"adamw's decoupled weight decay", "0.0">:$weight_decay);
  let assemblyFormat = "`<` $kind (`,` struct($lr, $momentum, $rho, $beta1, "
                       "$beta2, $eps, $weight_decay)^)? `>`";
}

def NN_ScheduleAttr : NN_Attr<"Schedule", "schedule"> {
  let summary = "A learning-rate schedule";
  let description = [{
    `#nn.schedule<cosine, unit = step, t_max = 90, warmup_iters = 10>`.
    Frontend's Schedule (kiln/Frontend/Model.h) says what each parameter
    means and which kinds read it; docs/optimizers.md has the formulas.
  }];
  let parameters = (ins
    EnumParameter<NN_ScheduleKind>:$kind,
    NN_Kind<NN_ScheduleUnit, "epoch">:$unit,
    NN_F64<"step_decay and exponential_decay", "1.0">:$gamma,
    NN_I64<"step_decay", "1">:$step_size,
    NN_F64<"exp_decay", "0.0">:$k,
    NN_F64<"linear_decay", "1.0">:$start_factor,
    NN_F64<"linear_decay", "0.0">:$end_factor,
    NN_I64<"linear_decay", "1">:$iters,
    NN_I64<"cosine", "1">:$t_max,
    NN_F64<"cosine", "0.0">:$min_lr,
    NN_I64<"units of linear warmup before the schedule", "0">:$warmup_iters,
    // torch.optim.lr_scheduler.LinearLR's, as in the spec language.
    NN_F64<"the warmup's first factor", "1.0 / 3.0">:$warmup_start_factor);
  let assemblyFormat = "`<` $kind (`,` struct($unit, $gamma, $step_size, $k, "
                       "$start_factor, $end_factor, $iters, $t_max, $min_lr, "
                       "$warmup_iters, $warmup_start_factor)^)? `>`";
  let genVerifyDecl = 1;
}

def NN_EarlyStoppingAttr : NN_Attr<"EarlyStopping", "early_stopping"> {
  let summary = "When training stops before its last epoch";
  let description = [{
    `#nn.early_stopping<monitor = accuracy, patience = 3>`: stop when the
    metric on the validation set has not improved by `min_delta` for
    `patience` epochs.
  }];
  let parameters = (ins
    NN_Kind<NN_Metric, "loss">:$monitor,
    NN_I64<"epochs without improvement", "5">:$patience,
    NN_F64<"the least change that counts as one", "0.0">:$min_delta);
  let assemblyFormat = "`<` struct($monitor, $patience, $min_delta) `>`";
}

def NN_ColumnAttr : NN_Attr<"Column", "column"> {
  let summary = "A CSV column, by header name or by 0-based index";
  let description = [{
    `#nn.column<"label">` or `#nn.column<3>`; in `#nn.data` a list of them
    is written `["label", 3]`.
  }];
  let parameters = (ins
    StringRefParameter<"the header name; empty when chosen by index">:$name,
    NN_I64<"the index; -1 when chosen by name", "-1">:$index);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

def NN_DataAttr : NN_Attr<"Data", "data"> {
  let summary = "Where a model's data lives";
  let description = [{
    `#nn.data<train = "/abs/train.csv", targets = ["label"], val_split = 0.2>`.
    Paths are absolute (MLIRGen resolves them against the spec's folder),
    or empty. No features means every column that is no target.
  }];
  let parameters = (ins
    StringRefParameter<"the training set", "\"\"">:$train,
    StringRefParameter<"the test set", "\"\"">:$test,
    NN_Columns<"the target columns">:$targets,
    NN_Columns<"the feature columns">:$features,
    NN_F64<"the share of rows held out for validation", "0.0">:$val_split);
  let assemblyFormat = "`<` struct($train, $test, $targets, $features, "
                       "$val_split) `>`";
}

def NN_ModelAttr : NN_Attr<"Model", "model"> {
  let summary = "The model configuration: what is not an op";
  let description = [{
    The module attribute `nn.model` (ModelAttr::kAttrName):

    ```mlir
    module @tiny attributes {nn.model = #nn.model<"tiny", batch_size = 8,
        input_dim = 4, target = class, num_classes = 3,
        optimizer = <sgd, lr = 1.000000e-01>, schedule = <constant>,
        epochs = 5, early_stopping = <patience = 3>,
        data = <train = "/data/tiny.csv", targets = ["label"]>>}
    ```

    The name comes first; the other parameters are `key = value` in any
    order, and those at their default may be left out (the printer leaves
    them out). The optimizer and the schedule are always written; no
    `early_stopping` means none, no `data` an empty data section. The graph,
    the loss and the states are ops instead.

    The batch size, the optimizer and the schedule are compiled into the
    code; epochs, seed, early stopping and the data are only defaults in
    the model descriptor, which the executable's flags override.
  }];
  let parameters = (ins
    StringRefParameter<"the model's name, the prefix of its symbols">:$name,
    NN_I64<"rows per batch", "32">:$batch_size,
    NN_I64<"input features per row", "0">:$input_dim,
    NN_Kind<NN_TargetKind, "real">:$target,
    NN_I64<"target columns per row", "1">:$target_dim,
    NN_I64<"classes of a class target; 0 for the others", "0">:$num_classes,
    "OptimizerAttr":$optimizer,
    "ScheduleAttr":$schedule,
    NN_F64<"coupled (L2) weight decay", "0.0">:$weight_decay,
    NN_Kind<NN_DecayScope, "weights">:$decay_scope,
    NN_F64<"the global gradient norm to clip to; 0: none", "0.0">:$clip_norm,
    NN_I64<"epochs to train", "10">:$epochs,
    NN_I64<"the random seed", "0">:$seed,
    OptionalParameter<"EarlyStoppingAttr", "none when absent">:$early_stopping,
    OptionalParameter<"DataAttr", "none when absent">:$data);
  let assemblyFormat = "`<` $name `,` struct($batch_size, $input_dim, "
                       "$target, $target_dim, $num_classes, $optimizer, "
                       "$schedule, $weight_decay, $decay_scope, $clip_norm, "
                       "$epochs, $seed, $early_stopping, $data) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The module attribute that holds the configuration.
    static constexpr ::llvm::StringLiteral kAttrName = "nn.model";
    /// The configuration of `module`; reports on the module and fails when
    /// it has none or `nn.model` is something else.
    static ::mlir::FailureOr<ModelAttr> of(::mlir::ModuleOp module);
  }];
}

#endif // KILN_NN_MODEL
