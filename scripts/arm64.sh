#!/usr/bin/env bash
# Run the grader and a student's notebooks on an ARM CPU (aarch64), emulated, on this x86_64 machine.
#
#   sudo bash scripts/arm64.sh [WORKDIR] [CPU]     # default build/arm64 neoverse-n1
#
# 1. A Debian 12 arm64 root file system (mmdebstrap; Python 3.11.2), its programs run by
#    qemu-user through binfmt_misc; QEMU_CPU picks the CPU qemu imitates: neoverse-n1 (NEON
#    without SVE, as Apple's M-series and AWS's Graviton2 have), or max (SVE, SVE2, BF16).
# 2. The grader: this checkout's committed files, a venv with requirements.txt's pins (soupsieve
#    excepted: its pinned release needs Python 3.11.5), then the machine line and the reference
#    check of the main job (`python -m autograder.assign.references --check --time-scale 40`:
#    every reference regenerated from the source solutions on this CPU and compared with the
#    committed ones, the trained values by their measured tolerance; every time limit 40 times
#    longer).
# 3. A student: release/convnets/ alone, a venv made by the students' guide's steps, and the four
#    notebooks with the solutions written in run top to bottom with jupyter nbconvert, their
#    demos turned down as tests/test_student_run.py turns them (lab.examples.in_a_hurry).
# qemu computes the guest's floating point exactly as the instructions define it, so the values
# are those an ARM CPU with these features computes with the same kernels and threads; the
# time is not (about 30 times slower; one run was stopped unfinished after 1 h 53 min on 2 shared
# cores, in notebook 3's reference retrainings), so the limits are raised.
# The sandbox's Landlock and seccomp are not applied under qemu-user (it does not pass them on);
# this measures the arithmetic, not the confinement.
# Needs root, Debian's mmdebstrap, qemu-user-static and binfmt-support (installed if missing),
# network access to deb.debian.org and PyPI, and about 4 GB. Re-running reuses what exists.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(realpath -m "${1:-$repo/build/arm64}")"
cpu="${2:-neoverse-n1}"
py="$repo/.venv/bin/python"
[ "$(id -u)" = 0 ] || { echo "arm64: needs root (binfmt_misc, mmdebstrap, chroot)" >&2; exit 12; }
# shellcheck source=scripts/chroot.sh
source "$repo/scripts/chroot.sh"
rootfs="$work/rootfs"
mkdir -p "$work"

if ! command -v mmdebstrap > /dev/null || [ ! -x /usr/bin/qemu-aarch64-static ]; then
  apt-get install -y -q mmdebstrap qemu-user-static binfmt-support > "$work/apt.log" 2>&1
fi
mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
update-binfmts --enable qemu-aarch64 2> /dev/null || true
[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || { echo "arm64: qemu-aarch64 is not registered in binfmt_misc" >&2; exit 12; }

start=$(date +%s)
if [ ! -x "$rootfs/usr/bin/python3" ]; then
  rm -rf "$rootfs"
  mmdebstrap --arch=arm64 --variant=apt --include=python3,python3-venv,python3-pip,ca-certificates \
    bookworm "$rootfs" http://deb.debian.org/debian > "$work/mmdebstrap.log" 2>&1 \
    || { tail -20 "$work/mmdebstrap.log" >&2; exit 1; }
fi
chroot_open "$rootfs"
trap 'chroot_close "$rootfs"' EXIT
base=$(date +%s)
# in the root file system: aarch64's programs, qemu imitating $cpu (each process reads QEMU_CPU)
in_arm() { chroot "$rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
  MPLBACKEND=Agg QEMU_CPU="$cpu" "${NETENV[@]}" bash -c "$1"; }

# the grader: this checkout's committed files (its venv kept between runs)
grader="$rootfs/work/convnets"
mkdir -p "$grader"
find "$grader" -mindepth 1 -maxdepth 1 ! -name .venv -exec rm -rf {} +
git -C "$repo" archive HEAD | tar -x -C "$grader"
in_arm 'cd /work/convnets && [ -x .venv/bin/python ] || {
  python3 -m venv .venv && .venv/bin/python -m pip install -q --upgrade pip &&
  sed "s/^soupsieve==.*/soupsieve<3/" requirements.txt > /tmp/requirements-arm64.txt &&
  .venv/bin/python -m pip install -q -r /tmp/requirements-arm64.txt; }
  .venv/bin/python -m pip install -q --no-deps -e .' > "$work/grader-install.log" 2>&1 \
  || { tail -30 "$work/grader-install.log" >&2; exit 1; }
installed=$(date +%s)

# the student: the release alone, by the guide's steps
student="$rootfs/work/student/convnets"
mkdir -p "$student"
find "$student" -mindepth 1 -maxdepth 1 ! -name .venv -exec rm -rf {} +
cp -r "$repo/release/convnets/." "$student/"
"$py" - "$student" << 'EOF'
import sys, nbformat
from autograder.checks import registry
from lab import examples as ex
for name in registry():
    nb = ex.in_a_hurry(ex.solution_notebook(name), name, strict=True)
    nbformat.write(nb, f"{sys.argv[1]}/{name}.ipynb")
EOF
in_arm 'cd /work/student/convnets && [ -x .venv/bin/jupyter ] || {
  python3 -m venv .venv && .venv/bin/python -m pip install -q --upgrade pip &&
  .venv/bin/pip install -q -r requirements.txt; }' > "$work/student-install.log" 2>&1 \
  || { tail -30 "$work/student-install.log" >&2; exit 1; }

status=0
echo "arm64 ($cpu, emulated): $(in_arm 'cd /work/convnets && .venv/bin/python -m autograder.sandbox.machine')"
# the grader's reference check and the student's notebooks side by side (one core each, mostly)
t0=$(date +%s)
(in_arm 'cd /work/convnets && .venv/bin/python -m autograder.assign.references --check --time-scale 40' > "$work/references.log" 2>&1
  echo "$? $(( $(date +%s) - t0 ))" > "$work/references.status") &
for name in 1_residual_connections 2_transpose_convolution 3_image_to_image 4_visualizing_convnets; do
  t1=$(date +%s)
  if in_arm "cd /work/student/convnets && .venv/bin/jupyter nbconvert --to notebook --execute --inplace \
      --ExecutePreprocessor.timeout=6000 $name.ipynb" > "$work/student-$name.log" 2>&1; then
    echo "student: $name top to bottom, every visible test passing ($(( $(date +%s) - t1 )) s)"
  else
    status=1; tail -30 "$work/student-$name.log"; echo "student: $name failed (log: $work/student-$name.log)"
  fi
done
wait
read -r code seconds < "$work/references.status"
if [ "$code" = 0 ]; then
  echo "references regenerated on this CPU: every one within its tolerance ($seconds s)"
else
  status=1; tail -40 "$work/references.log"; echo "references: some differ (log: $work/references.log)"
fi
echo "root file system $(( base - start )) s, grader install $(( installed - base )) s; Python $(in_arm 'python3 --version')"
exit $status
