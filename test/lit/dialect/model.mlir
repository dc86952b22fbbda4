// RUN: kiln-opt %s | FileCheck %s
// RUN: kiln-opt %s | kiln-opt | FileCheck %s

// #nn.model and its parts print in one canonical form that parses back to
// the same attribute: keys in declaration order, kinds as keywords, floats
// exact, and every parameter at its default left out.

// Every parameter away from its default.
// CHECK-LABEL: module @full
// CHECK-SAME: nn.model = #nn.model<"full", batch_size = 4, input_dim = 3, target = class, num_classes = 2,
// CHECK-SAME: optimizer = <adam, lr = 1.000000e-02, beta1 = 8.000000e-01, beta2 = 0.98999999999999999, eps = 9.9999999999999995E-8>,
// CHECK-SAME: schedule = <cosine, unit = step, t_max = 90, min_lr = 1.000000e-03, warmup_iters = 10, warmup_start_factor = 1.000000e-01>,
// CHECK-SAME: weight_decay = 1.000000e-04, decay_scope = all, clip_norm = 1.000000e+00, epochs = 3, seed = 42,
// CHECK-SAME: early_stopping = <monitor = accuracy, patience = 3, min_delta = 1.000000e-02>,
// CHECK-SAME: data = <train = "/data/train.csv", test = "/data/test.csv", targets = ["label", 3], features = [0, 1, "x"], val_split = 2.000000e-01>>
module @full attributes {nn.model = #nn.model<"full",
    // Keys in any order.
    seed = 42, batch_size = 4, input_dim = 3, target = class, num_classes = 2,
    optimizer = <adam, lr = 1.0e-2, beta1 = 0.8, beta2 = 0.99, eps = 1.0e-7>,
    schedule = <cosine, unit = step, t_max = 90, min_lr = 0.001, warmup_iters = 10, warmup_start_factor = 0.1>,
    weight_decay = 1.0e-4, decay_scope = all, clip_norm = 1.0, epochs = 3,
    early_stopping = <patience = 3, monitor = accuracy, min_delta = 0.01>,
    data = <train = "/data/train.csv", test = "/data/test.csv", targets = ["label", 3], features = [0, 1, "x"], val_split = 0.2>>} {
}

// Defaults, written or not, print as nothing.
// CHECK-LABEL: module @defaults
// CHECK-SAME: nn.model = #nn.model<"defaults", optimizer = <sgd>, schedule = <constant>, early_stopping = <>, data = <>>}
module @defaults attributes {nn.model = #nn.model<"defaults", batch_size = 32, target = real, target_dim = 1,
    optimizer = <sgd, lr = 0.001>, schedule = <constant, unit = epoch, warmup_iters = 0>, epochs = 10,
    early_stopping = <monitor = loss, patience = 5>, data = <val_split = 0.0, targets = []>>} {
}

// The least a model says: its name, optimizer and schedule.
// CHECK-LABEL: module @least
// CHECK-SAME: nn.model = #nn.model<"least", optimizer = <adam>, schedule = <constant>>}
module @least attributes {nn.model = #nn.model<"least", optimizer = <adam>, schedule = <constant>>} {
}

// The parts stand alone too.
// CHECK-LABEL: func.func private @parts()
// CHECK-SAME: columns = [#nn.column<"label">, #nn.column<0>]
// CHECK-SAME: optimizer = #nn.optimizer<momentum, momentum = 5.000000e-01>
// CHECK-SAME: schedule = #nn.schedule<step_decay, gamma = 5.000000e-01, step_size = 10>
func.func private @parts() attributes {
    optimizer = #nn.optimizer<momentum, momentum = 0.5>,
    schedule = #nn.schedule<step_decay, gamma = 0.5, step_size = 10>,
    columns = [#nn.column<"label">, #nn.column<0>]}
