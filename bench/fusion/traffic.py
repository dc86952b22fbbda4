"""Bytes that the kernels of a compiled function read and write, from the
linalg stage: each linalg op reads its inputs (and its outputs, where it
accumulates into them) and writes its outputs once. Fusion shows as fewer,
bigger kernels and fewer bytes. (The matmul epilogue that the codegen moves
into the register tile saves one more read and write of the product, which
this count does not see.)

  kiln emit --stage=linalg [--no-fuse-...] model.kiln | traffic.py FUNC
"""
import re
import sys

TYPE = re.compile(r"tensor<((?:\d+x)*)f32>")


def tensor_bytes(text):
    total = 0
    for dims in TYPE.findall(text):
        n = 1
        for d in dims.split("x")[:-1]:
            n *= int(d)
        total += 4 * n
    return total


def main():
    func = sys.argv[1]
    inside = False
    read = written = 0
    for line in sys.stdin:
        if line.lstrip().startswith("func.func @"):
            inside = line.lstrip().startswith(f"func.func @{func}(")
            continue
        if not inside:
            continue
        m = re.search(r"= linalg\.(\w+).*?ins\((.*?)\) outs\((.*?)\)", line)
        if not m:
            continue
        kind, ins, outs = m.groups()
        in_types = ins.split(":", 1)[1] if ":" in ins else ""
        out_types = outs.split(":", 1)[1] if ":" in outs else ""
        read += tensor_bytes(in_types)
        written += tensor_bytes(out_types)
        # Matmuls and reductions accumulate into their outputs.
        if kind.startswith("matmul") or "reduction" in line:
            read += tensor_bytes(out_types)
    print(f"{read} {written}")


if __name__ == "__main__":
    main()
