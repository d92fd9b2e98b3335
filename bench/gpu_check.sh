#!/usr/bin/env bash
# The GPU checks of the inference worker, for a machine that has an NVIDIA GPU and its own PyTorch
# (with torchvision and onnxruntime) but no network and no Podium install:
#
#   bench/gpu_check.sh prepare        # where pip and apt reach their registries: fills .gpu/ (git-ignored)
#   bench/gpu_check.sh run OUT_DIR    # on the GPU machine, from the repository root, with .gpu/ beside it
#
# `prepare` downloads Debian's bubblewrap (and the libraries it links) and the two wheels the worker's code needs beyond such an image
# (orjson, msgspec; Python 3.12). `run` unpacks bubblewrap under /tmp (when the machine has none) and installs
# the wheels into the interpreter's environment (when it lacks them), then runs
# `python -m workers.selfcheck` on cuda:0 (sandbox, GPU isolation, TorchScript, ONNX on the CUDA provider,
# torchvision's operators) and on the CPU, and the GPU inference bench, writing each output to OUT_DIR.
set -uo pipefail
cd "$(dirname "$0")/.."
GPU_DIR=${GPU_DIR:-.gpu}
PYTHON=${PYTHON:-python3}
DEVICE=${DEVICE:-cuda:0}  # DEVICE=cpu tries the script on a machine without a GPU

prepare() {
    mkdir -p "$GPU_DIR"
    (cd "$GPU_DIR" && apt-get download bubblewrap libcap2 libselinux1 libpcre2-8-0 libseccomp2) || exit 1
    "$PYTHON" -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        -d "$GPU_DIR" orjson msgspec || exit 1
    ls -l "$GPU_DIR"
}

run() {
    local out=${1:?OUT_DIR}
    mkdir -p "$out" /tmp/podium-gpu/root
    if ! command -v bwrap >/dev/null; then
        dpkg -x "$GPU_DIR"/bubblewrap_*.deb /tmp/podium-gpu/root && export PATH=/tmp/podium-gpu/root/usr/bin:$PATH
    fi
    # An image without the libraries bwrap links, or without libseccomp (the sandbox's filter): Debian's, aside.
    if ! bwrap --version >/dev/null 2>&1 || ! ldconfig -p | grep -q libseccomp.so.2; then
        for deb in "$GPU_DIR"/lib*.deb; do dpkg -x "$deb" /tmp/podium-gpu/root; done
        export LD_LIBRARY_PATH=/tmp/podium-gpu/root/lib/x86_64-linux-gnu:/tmp/podium-gpu/root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    fi
    # Into the interpreter's own environment: the sandboxed child sees that, not PYTHONPATH or /tmp.
    "$PYTHON" -c 'import orjson, msgspec' 2>/dev/null \
        || "$PYTHON" -m pip install -q --no-index --no-deps --no-compile "$GPU_DIR"/*.whl
    export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
    {
        nvidia-smi -L
        "$PYTHON" -c 'import sys, torch; print(sys.version.split()[0], torch.__version__, torch.version.cuda)'
        bwrap --version
        ls -l /dev/nvidia* 2>&1
    } > "$out/machine.txt" 2>&1
    local status=0
    "$PYTHON" -m workers.selfcheck --device "$DEVICE" --json "$out/selfcheck-gpu.json" > "$out/selfcheck-gpu.txt" 2>&1 || status=1
    "$PYTHON" -m workers.selfcheck --device cpu --json "$out/selfcheck-cpu.json" > "$out/selfcheck-cpu.txt" 2>&1 || status=1
    (cd bench && timeout 300 "$PYTHON" inference.py --device "$DEVICE" --pipeline) > "$out/bench-inference.txt" 2>&1 || status=1
    cat "$out"/machine.txt "$out"/selfcheck-*.txt
    tail -20 "$out/bench-inference.txt"
    return $status
}

case "${1:-}" in
    prepare) prepare ;;
    run) shift; run "$@" ;;
    *) echo "usage: $0 prepare | run OUT_DIR" >&2; exit 2 ;;
esac
