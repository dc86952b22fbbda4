// RUN: kiln-opt %s -split-input-file -kiln-buffer-abi -verify-diagnostics

// kiln-buffer-abi needs the state layout (kiln.state_size and an offset on
// every state it touches) and the nn.model configuration (for the name).

// expected-error @+1 {{the state layout has not been assigned}}
module attributes {nn.model = #nn.model<"m", optimizer = <adam>, schedule = <constant>>} {
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

module attributes {kiln.state_size = 16 : i64, nn.model = #nn.model<"m", optimizer = <adam>, schedule = <constant>>} {
  nn.state @w : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
  func.func @predict(%x: tensor<8x3xf32>) -> tensor<3xf32> {
    // expected-error @+1 {{'nn.load' op reads a state without a layout}}
    %w = nn.load @w : tensor<3xf32>
    return %w : tensor<3xf32>
  }
}

// -----

module attributes {kiln.state_size = 16 : i64, nn.model = #nn.model<"m", optimizer = <adam>, schedule = <constant>>} {
  nn.state @w : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
  func.func @train_step(%x: tensor<8x3xf32>) {
    %c = arith.constant dense<1.0> : tensor<3xf32>
    // expected-error @+1 {{'nn.store' op writes a state without a layout}}
    nn.store %c, @w : tensor<3xf32>
    return
  }
}

// -----

// A prepared state lies past the end of the state: only @prepare (writing)
// and @predict of a module with a @prepare (reading) have a buffer that
// holds it.
module attributes {kiln.state_size = 4 : i64, kiln.predict_state_size = 8 : i64, nn.model = #nn.model<"m", optimizer = <adam>, schedule = <constant>>} {
  nn.state @w : tensor<4xf32> {role = #nn.role<param>, init = #nn.init<zeros>, offset = 0 : i64}
  nn.state @w.folded : tensor<4xf32> {role = #nn.role<prepared>, init = #nn.init<zeros>, offset = 4 : i64}
  func.func @eval_step() -> tensor<4xf32> {
    // expected-error @+1 {{'nn.load' op reads 'w.folded', which lies outside the state buffer of @eval_step}}
    %w = nn.load @w.folded : tensor<4xf32>
    return %w : tensor<4xf32>
  }
}
