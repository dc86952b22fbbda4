// RUN: kiln-opt %s -kiln-convert-nn-to-linalg | FileCheck %s

// nn.state, nn.load and nn.store stay (the buffer ABI turns them into views
// of the state buffer); everything else of the nn dialect is lowered.

nn.state @w : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @state(%x: tensor<3xf32>) -> tensor<3xf32> {
  %w = nn.load @w : tensor<3xf32>
  %s = nn.add %w, %x : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  nn.store %s, @w : tensor<3xf32>
  return %s : tensor<3xf32>
}

// CHECK:       nn.state @w : tensor<3xf32>
// CHECK-LABEL: func.func @state(
// CHECK:         %[[W:.*]] = nn.load @w : tensor<3xf32>
// CHECK:         %[[S:.*]] = linalg.generic {{.*}} ins(%[[W]], %{{.*}} :
// CHECK:         nn.store %[[S]], @w : tensor<3xf32>
// CHECK-NOT:     nn.add
// CHECK:         return %[[S]]
