#!/usr/bin/env bash
# Build the autograder's image as Gradescope builds it, in a clean root file system, and grade in it.
#
#   sudo bash scripts/gradescope-image.sh [WORKDIR]      # default build/gradescope-image
#
# 1. A clean Ubuntu 24.04 (Gradescope's "Ubuntu 24.04" base image, Python 3.12), made with
#    debootstrap from archive.ubuntu.com: the minimal variant plus python3, no venv module, no pip
#    cache, nothing of this machine's Python.
# 2. autograder.zip (python -m autograder.gradescope build) unpacked into /autograder/source, and
#    setup.sh run there once, as root, in a chroot with the network (what Gradescope does when it
#    builds the image): it installs python3-venv with apt, then the pins from PyPI.
# 3. run_autograder copied to /autograder/run_autograder and run from /autograder for a perfect
#    and a blank notebook 2 in /autograder/submission; each must write results/results.json with
#    the score the notebook earns.
# Prints how long the image took and how large it is (Gradescope shows both to the instructor).
# Needs root, debootstrap, network access to archive.ubuntu.com and PyPI, and about 3 GB.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(realpath -m "${1:-$repo/build/gradescope-image}")"
py="$repo/.venv/bin/python"
[ "$(id -u)" = 0 ] || { echo "gradescope-image: needs root (debootstrap, chroot)" >&2; exit 12; }
command -v debootstrap > /dev/null || { echo "gradescope-image: needs debootstrap (apt-get install debootstrap)" >&2; exit 12; }
rm -rf "$work"; mkdir -p "$work"
rootfs="$work/rootfs"
# shellcheck source=scripts/chroot.sh
source "$repo/scripts/chroot.sh"
trap 'chroot_close "$rootfs"' EXIT

# Ubuntu's archive key, from Ubuntu's own keyring package (Debian does not carry it).
curl -fsS -o "$work/keyring.deb" \
  http://archive.ubuntu.com/ubuntu/pool/main/u/ubuntu-keyring/ubuntu-keyring_2023.11.28.1_all.deb
dpkg-deb -x "$work/keyring.deb" "$work/keyring"
keyring="$work/keyring/usr/share/keyrings/ubuntu-archive-keyring.gpg"

start=$(date +%s)
# (Debian 12's debootstrap predates 24.04: every Ubuntu release uses its "gutsy" script.)
debootstrap --variant=minbase --include=python3,ca-certificates --keyring="$keyring" \
  noble "$rootfs" http://archive.ubuntu.com/ubuntu /usr/share/debootstrap/scripts/gutsy > "$work/debootstrap.log" 2>&1 \
  || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
echo "deb http://archive.ubuntu.com/ubuntu noble main universe" > "$rootfs/etc/apt/sources.list"
base=$(date +%s)
chroot_open "$rootfs"

"$py" -m autograder.gradescope build --out "$work/bundle" > /dev/null
mkdir -p "$rootfs/autograder/source"
(cd "$rootfs/autograder/source" && "$py" -m zipfile -e "$work/bundle/autograder.zip" .)
chmod +x "$rootfs/autograder/source/setup.sh" "$rootfs/autograder/source/run_autograder"
chroot "$rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "${NETENV[@]}" \
  bash -c 'cd /autograder/source && ./setup.sh' > "$work/setup.log" 2>&1 \
  || { tail -30 "$work/setup.log" >&2; echo "gradescope-image: setup.sh failed (log: $work/setup.log)" >&2; exit 1; }
built=$(date +%s)
cp "$rootfs/autograder/source/run_autograder" "$rootfs/autograder/run_autograder"
rm -f "$rootfs/etc/resolv.conf"  # grading runs without the network, as Gradescope's may

status=0
for kind in solution blank; do
  rm -rf "$rootfs/autograder/submission" "$rootfs/autograder/results"
  mkdir -p "$rootfs/autograder/submission" "$rootfs/autograder/results"
  "$py" - "$kind" "$rootfs/autograder/submission/2_transpose_convolution.ipynb" << 'EOF'
import sys, nbformat
from lab import examples as ex
make = {"solution": ex.solution_notebook, "blank": ex.blank_notebook}[sys.argv[1]]
nbformat.write(make("2_transpose_convolution"), sys.argv[2])
EOF
  t0=$(date +%s)
  chroot "$rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    bash -c 'cd /autograder && ./run_autograder' > "$work/run-$kind.log" 2>&1 || true
  got=$("$py" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["score"], len(r["tests"]))' \
    "$rootfs/autograder/results/results.json" 2> /dev/null || echo "no results.json")
  expected=$("$py" -c '
import sys
from autograder.checks import registry
nb = registry()["2_transpose_convolution"]
every = sum(len(spec.checks) for spec in registry().values())  # the other notebooks listed with 0
print(float(sum(c.points for c in nb.checks) if sys.argv[1] == "solution" else 0), every)' "$kind")
  echo "graded in the image: $kind notebook 2: score, tests = $got (expected $expected), $(( $(date +%s) - t0 )) s"
  [ "$got" = "$expected" ] || status=1
done

size=$(du -sh --exclude=proc --exclude=sys --exclude=dev "$rootfs" | cut -f1)
venv=$(du -sh "$rootfs/autograder/source/.venv" | cut -f1)
pyv=$(chroot "$rootfs" python3 --version)
echo "image: Ubuntu 24.04 ($pyv); base system $(( base - start )) s, setup.sh $(( built - base )) s; size $size (.venv $venv)"
exit $status
