// RUN: kiln-opt %s | FileCheck %s
// RUN: kiln-opt %s | kiln-opt | FileCheck %s

// CHECK: module attributes {nn.model = #nn.model<"tiny", batch_size = 4, input_dim = 3, target = class, num_classes = 2, optimizer = <adam>, schedule = <constant>, data = <targets = ["target"]>>} {
module attributes {nn.model = #nn.model<"tiny", batch_size = 4, input_dim = 3, target = class, target_dim = 1, num_classes = 2,
    optimizer = <adam, lr = 1.0e-03>, schedule = <constant>, data = <targets = ["target"], val_split = 0.0>>} {
  // CHECK: nn.state @fc.weight : tensor<2x3xf32> {fan_in = 3 : i64, fan_out = 2 : i64, init = #nn.init<he_uniform>, role = #nn.role<param>}
  // CHECK: nn.state @bn.running_var : tensor<3xf32> {init = #nn.init<ones>, role = #nn.role<running_var>}
  nn.state @fc.weight : tensor<2x3xf32> {role = #nn.role<param>, init = #nn.init<he_uniform>, fan_in = 3 : i64, fan_out = 2 : i64}
  nn.state @fc.bias : tensor<2xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
  nn.state @bn.gamma : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<ones>}
  nn.state @bn.beta : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
  nn.state @bn.running_mean : tensor<3xf32> {role = #nn.role<running_mean>, init = #nn.init<zeros>}
  nn.state @bn.running_var : tensor<3xf32> {role = #nn.role<running_var>, init = #nn.init<ones>}

  // CHECK-LABEL: func.func @forward
  func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %seed: i64, %step: i64) -> tensor<f32> {
    %g = nn.load @bn.gamma : tensor<3xf32>
    %b = nn.load @bn.beta : tensor<3xf32>
    %rm = nn.load @bn.running_mean : tensor<3xf32>
    %rv = nn.load @bn.running_var : tensor<3xf32>
    // CHECK: nn.batch_norm %{{.*}} {eps = 1.000000e-05 : f64, momentum = 1.000000e-01 : f64, training = true}
    %n, %nrm, %nrv = nn.batch_norm %x, %g, %b, %rm, %rv {eps = 1.0e-5 : f64, momentum = 0.1 : f64, training = true}
        : (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>)
    nn.store %nrm, @bn.running_mean : tensor<3xf32>
    nn.store %nrv, @bn.running_var : tensor<3xf32>
    // CHECK: nn.leaky_relu %{{.*}} {alpha = 2.000000e-01 : f64} : tensor<4x3xf32>
    %a0 = nn.leaky_relu %n {alpha = 0.2 : f64} : tensor<4x3xf32>
    // CHECK: nn.elu %{{.*}} {alpha = 5.000000e-01 : f64} : tensor<4x3xf32>
    %a1 = nn.elu %a0 {alpha = 0.5 : f64} : tensor<4x3xf32>
    // The default alpha, 1, is not printed.
    // CHECK: nn.elu %{{.*}} : tensor<4x3xf32>
    %a = nn.elu %a1 {alpha = 1.0 : f64} : tensor<4x3xf32>
    // CHECK: nn.dropout %{{.*}}, %{{.*}}, %{{.*}} {p = 5.000000e-01 : f64, stream = 0 : i32} : tensor<4x3xf32>
    %d = nn.dropout %a, %seed, %step {p = 0.5 : f64, stream = 0 : i32} : tensor<4x3xf32>
    %w = nn.load @fc.weight : tensor<2x3xf32>
    %bias = nn.load @fc.bias : tensor<2xf32>
    // CHECK: nn.dense %{{.*}}, %{{.*}}, %{{.*}} {activation = #nn.act<swish, 1.500000e+00>}
    %z = nn.dense %d, %w, %bias {activation = #nn.act<swish, 1.5>} : (tensor<4x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<4x2xf32>
    // CHECK: %[[WT:.*]] = nn.transpose %{{.*}} : tensor<2x3xf32> -> tensor<3x2xf32>
    %wt = nn.transpose %w : tensor<2x3xf32> -> tensor<3x2xf32>
    // CHECK: nn.dense %{{.*}}, %[[WT]], %{{.*}} {transposed_weight} : (tensor<4x3xf32>, tensor<3x2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
    %zt = nn.dense %d, %wt, %bias {transposed_weight} : (tensor<4x3xf32>, tensor<3x2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
    // CHECK: nn.prediction %{{.*}} : tensor<4x2xf32>
    %zp = nn.prediction %zt : tensor<4x2xf32>
    %yy = arith.constant dense<0.5> : tensor<4x2xf32>
    // CHECK: nn.mse %{{.*}}, %{{.*}} {reduction = #nn.reduction<sum>} :
    %lsum = nn.mse %zp, %yy {reduction = #nn.reduction<sum>} : (tensor<4x2xf32>, tensor<4x2xf32>) -> tensor<4xf32>
    // The default reduction is not printed: bce sums, mse averages.
    // CHECK: nn.bce %{{.*}}, %{{.*}} : (tensor<4x2xf32>, tensor<4x2xf32>) -> tensor<4xf32>
    %lbce = nn.bce %zp, %yy {reduction = #nn.reduction<sum>} : (tensor<4x2xf32>, tensor<4x2xf32>) -> tensor<4xf32>
    // CHECK: nn.huber %{{.*}}, %{{.*}} {delta = 1.000000e+00 : f64} :
    %lh = nn.huber %zp, %yy {delta = 1.0 : f64, reduction = #nn.reduction<mean>} : (tensor<4x2xf32>, tensor<4x2xf32>) -> tensor<4xf32>
    %c = arith.constant dense<2.0> : tensor<f32>
    // CHECK: nn.mul %{{.*}}, %{{.*}} : (tensor<4x2xf32>, tensor<f32>) -> tensor<4x2xf32>
    %s = nn.mul %z, %c : (tensor<4x2xf32>, tensor<f32>) -> tensor<4x2xf32>
    // CHECK: nn.cross_entropy %{{.*}}, %{{.*}} {label_smoothing = 1.000000e-01 : f64}
    %l = nn.cross_entropy %s, %y {label_smoothing = 0.1 : f64} : (tensor<4x2xf32>, tensor<4xf32>) -> tensor<4xf32>
    // CHECK: nn.mean %{{.*}} : tensor<4xf32> -> tensor<f32>
    %m = nn.mean %l : tensor<4xf32> -> tensor<f32>
    return %m : tensor<f32>
  }
}
