#!/usr/bin/env bash
# Prints an nn module whose predict computes one matmul C[M, N], the way a
# dense layer's training step does: `nt` x Wᵀ (the forward, W stored
# [out, in]), `nn` dY W (the input gradient), `tn` dYᵀ X (the weight
# gradient). Usage: matmul.sh NAME M N K nt|nn|tn
set -euo pipefail
name=$1 m=$2 n=$3 k=$4
case $5 in
  nt) x="${m}x${k}" w="${n}x${k}" op="nn.dense %x, %w" ;;
  nn) x="${m}x${k}" w="${k}x${n}" op="nn.matmul %x, %w" ;;
  tn) x="${k}x${m}" w="${k}x${n}" op="nn.matmul %x, %w {transpose_lhs = true}" ;;
  *) echo "matmul.sh: unknown kind '$5'" >&2; exit 2 ;;
esac
cat <<EOT
module attributes {nn.model = #nn.model<"$name", batch_size = ${x%x*}, input_dim = ${x#*x}, optimizer = <sgd>, schedule = <constant>>} {
  nn.state @w : tensor<${w}xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
  func.func @predict(%x: tensor<${x}xf32>) -> tensor<${m}x${n}xf32> {
    %w = nn.load @w : tensor<${w}xf32>
    %c = $op : (tensor<${x}xf32>, tensor<${w}xf32>) -> tensor<${m}x${n}xf32>
    return %c : tensor<${m}x${n}xf32>
  }
}
EOT
