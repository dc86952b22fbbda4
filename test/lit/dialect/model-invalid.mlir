// RUN: kiln-opt %s -split-input-file -verify-diagnostics

// What #nn.model and its parts refuse: the verifiers' limits, then what the
// parser refuses (unknown kinds and keys, a missing optimizer), then an
// nn.model that is no #nn.model.

// expected-error @+1 {{#nn.model needs batch_size >= 1, input_dim >= 0 and target_dim >= 1}}
module attributes {nn.model = #nn.model<"m", batch_size = 0, optimizer = <adam>, schedule = <constant>>} {
}

// -----

// expected-error @+1 {{#nn.model needs batch_size >= 1, input_dim >= 0 and target_dim >= 1}}
module attributes {nn.model = #nn.model<"m", input_dim = -1, optimizer = <adam>, schedule = <constant>>} {
}

// -----

// expected-error @+1 {{#nn.model needs batch_size >= 1, input_dim >= 0 and target_dim >= 1}}
module attributes {nn.model = #nn.model<"m", target_dim = 0, optimizer = <adam>, schedule = <constant>>} {
}

// -----

// expected-error @+1 {{#nn.model needs a name}}
module attributes {nn.model = #nn.model<"", optimizer = <adam>, schedule = <constant>>} {
}

// -----

// expected-error @+1 {{#nn.model has num_classes > 0 exactly for a class target, got 0 for a class target}}
module attributes {nn.model = #nn.model<"m", target = class, optimizer = <adam>, schedule = <constant>>} {
}

// -----

// expected-error @+1 {{#nn.model has num_classes > 0 exactly for a class target, got 3 for a real target}}
module attributes {nn.model = #nn.model<"m", num_classes = 3, optimizer = <adam>, schedule = <constant>>} {
}

// -----

// expected-error @+2 {{#nn.schedule needs step_size, iters and t_max >= 1 and warmup_iters >= 0}}
// expected-error @+1 {{failed to parse NN_ModelAttr parameter 'schedule'}}
module attributes {nn.model = #nn.model<"m", optimizer = <adam>, schedule = <step_decay, step_size = 0>>} {
}

// -----

// expected-error @+2 {{#nn.schedule needs step_size, iters and t_max >= 1 and warmup_iters >= 0}}
// expected-error @+1 {{failed to parse NN_ModelAttr parameter 'schedule'}}
module attributes {nn.model = #nn.model<"m", optimizer = <adam>, schedule = <cosine, t_max = 0>>} {
}

// -----

// expected-error @+2 {{#nn.schedule needs step_size, iters and t_max >= 1 and warmup_iters >= 0}}
// expected-error @+1 {{failed to parse NN_ModelAttr parameter 'schedule'}}
module attributes {nn.model = #nn.model<"m", optimizer = <adam>, schedule = <constant, warmup_iters = -1>>} {
}

// -----

// expected-error @+3 {{a column is a name or an index >= 0, got name '' and index -2}}
// expected-error @+2 {{failed to parse NN_DataAttr parameter 'targets'}}
// expected-error @+1 {{failed to parse NN_ModelAttr parameter 'data'}}
module attributes {nn.model = #nn.model<"m", optimizer = <adam>, schedule = <constant>, data = <targets = [-2]>>} {
}

// -----

// expected-error @+3 {{a column is a name or an index >= 0, got name '' and index -1}}
// expected-error @+2 {{failed to parse NN_DataAttr parameter 'targets'}}
// expected-error @+1 {{failed to parse NN_ModelAttr parameter 'data'}}
module attributes {nn.model = #nn.model<"m", optimizer = <adam>, schedule = <constant>, data = <targets = [""]>>} {
}

// -----

// expected-error @+3 {{expected ::kiln::nn::OptimizerKind to be one of: sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw}}
// expected-error @+2 {{failed to parse NN_OptimizerAttr parameter 'kind'}}
// expected-error @+1 {{failed to parse NN_ModelAttr parameter 'optimizer'}}
module attributes {nn.model = #nn.model<"m", optimizer = <lamb>, schedule = <constant>>} {
}

// -----

// expected-error @+2 {{duplicate or unknown struct parameter name: momentun}}
// expected-error @+1 {{failed to parse NN_ModelAttr parameter 'optimizer'}}
module attributes {nn.model = #nn.model<"m", optimizer = <momentum, momentun = 0.5>, schedule = <constant>>} {
}

// -----

// expected-error @+1 {{duplicate or unknown struct parameter name: epoch}}
module attributes {nn.model = #nn.model<"m", epoch = 4, optimizer = <adam>, schedule = <constant>>} {
}

// -----

// expected-error @+3 {{expected ::kiln::nn::Metric to be one of: loss, accuracy, mse, mae, r2}}
// expected-error @+2 {{failed to parse NN_EarlyStoppingAttr parameter 'monitor'}}
// expected-error @+1 {{failed to parse NN_ModelAttr parameter 'early_stopping'}}
module attributes {nn.model = #nn.model<"m", optimizer = <adam>, schedule = <constant>, early_stopping = <monitor = val_loss>>} {
}

// -----

// expected-error @+1 {{struct is missing required parameter: optimizer}}
module attributes {nn.model = #nn.model<"m", schedule = <constant>>} {
}

// -----

// expected-error @+1 {{'nn.model' must be a #nn.model, got {name = "m"}}}
module attributes {nn.model = {name = "m"}} {
}

// -----

// expected-error @+1 {{'nn.model' belongs on a module}}
func.func private @f() attributes {nn.model = #nn.model<"m", optimizer = <adam>, schedule = <constant>>}
