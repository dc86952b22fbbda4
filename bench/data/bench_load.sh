#!/usr/bin/env bash
# Data loading: wall time and peak RSS of `eval` on a 60,000 x 784 data set
# (random pixels 0..255 and labels, NumPy, fixed seed) as CSV and as .npy,
# beside NumPy's np.loadtxt and np.load of the same files. `eval` reads the
# data and evaluates a 784-64-10 model on it; the evaluation itself takes
# about 0.1 s. Usage: bench/data/bench_load.sh KILN OUT_DIR
set -euo pipefail
kiln=$(realpath "$1") out=$2
mkdir -p "$out"
cd "$out"
/usr/bin/python3 - <<'PY'
import numpy as np
rng = np.random.default_rng(0)
x = rng.integers(0, 256, size=(60000, 784)).astype(np.float32)
y = rng.integers(0, 10, size=(60000, 1))
np.savetxt("data.csv", np.hstack([x, y]), delimiter=",", fmt="%d",
           header=",".join(["p%d" % i for i in range(784)] + ["target"]),
           comments="")
np.save("x.npy", x)
np.save("y.npy", y[:, 0].astype(np.float32))
PY
cat > m.kiln <<'KILN'
model m
input x: [784]
target y: class(10)
loss cross_entropy(x * (1 / 255) -> dense(64) -> relu -> dense(10), y)
train { optimizer = adam(lr = 0.001); batch_size = 128 }
KILN
"$kiln" build m.kiln -o m
./m init --save w.st > /dev/null
echo "data: $(du -h data.csv | cut -f1) CSV, $(du -h x.npy | cut -f1) .npy; float32 data $((60000 * 785 * 4 / 1000000)) MB"
for round in 1 2 3; do
  /usr/bin/time -f "kiln eval, CSV:   %e s, peak RSS %M KB" ./m eval --data data.csv --weights w.st > /dev/null
  /usr/bin/time -f "kiln eval, .npy:  %e s, peak RSS %M KB" ./m eval --data x.npy --targets y.npy --weights w.st > /dev/null
  /usr/bin/time -f "np.loadtxt (CSV): %e s, peak RSS %M KB" /usr/bin/python3 -c \
    "import numpy as np; np.loadtxt('data.csv', delimiter=',', skiprows=1, dtype=np.float32)"
  /usr/bin/time -f "np.load (.npy):   %e s, peak RSS %M KB" /usr/bin/python3 -c \
    "import numpy as np; np.load('x.npy'); np.load('y.npy')"
done
