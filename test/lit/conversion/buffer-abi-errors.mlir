// RUN: kiln-opt %s -split-input-file -kiln-buffer-abi -verify-diagnostics

// kiln-buffer-abi needs the state layout (kiln.state_size and an offset on
// every state it touches) and the nn.model configuration (for the name).

// expected-error @+1 {{the state layout has not been assigned}}
module attributes {nn.model = {name = "m"}} {
  func.func @predict(%x: tensor<8x4xf32>) -> tensor<8x4xf32> {
    return %x : tensor<8x4xf32>
  }
}

// -----

// expected-error @+1 {{module has no 'nn.model' attribute}}
module attributes {kiln.state_size = 0 : i64} {
  func.func @predict(%x: tensor<8x4xf32>) -> tensor<8x4xf32> {
    return %x : tensor<8x4xf32>
  }
}

// -----

module attributes {kiln.state_size = 16 : i64, nn.model = {name = "m"}} {
  nn.state @w : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
  func.func @predict(%x: tensor<8x3xf32>) -> tensor<3xf32> {
    // expected-error @+1 {{'nn.load' op reads a state without a layout}}
    %w = nn.load @w : tensor<3xf32>
    return %w : tensor<3xf32>
  }
}

// -----

module attributes {kiln.state_size = 16 : i64, nn.model = {name = "m"}} {
  nn.state @w : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
  func.func @train_step(%x: tensor<8x3xf32>) {
    %c = arith.constant dense<1.0> : tensor<3xf32>
    // expected-error @+1 {{'nn.store' op writes a state without a layout}}
    nn.store %c, @w : tensor<3xf32>
    return
  }
}
