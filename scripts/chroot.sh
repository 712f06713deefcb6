# Sourced by the scripts that run this project in a root file system of another system
# (gradescope-image.sh, arm64.sh).
#
# chroot_open ROOTFS: this machine's way out into ROOTFS (its resolver, and the proxy whose CA is
# in /usr/local/share/ca-certificates, which pip must trust: not part of the system being built),
# and /proc, /sys, /dev, /dev/pts bound in. Sets NETENV to the variables a command in ROOTFS
# needs for the network. chroot_close ROOTFS undoes the binds.
chroot_open() {
  local rootfs="$1" v m
  cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
  NETENV=()
  if compgen -G "/usr/local/share/ca-certificates/*.crt" > /dev/null; then
    mkdir -p "$rootfs/usr/local/share/ca-certificates"
    cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/"
    chroot "$rootfs" update-ca-certificates > /dev/null 2>&1
    NETENV=(PIP_CERT=/etc/ssl/certs/ca-certificates.crt)
  fi
  for v in http_proxy https_proxy HTTP_PROXY HTTPS_PROXY no_proxy; do
    [ -n "${!v:-}" ] && NETENV+=("$v=${!v}")
  done
  for m in proc sys dev dev/pts; do
    mkdir -p "$rootfs/$m"
    mountpoint -q "$rootfs/$m" || mount --bind "/$m" "$rootfs/$m"
  done
}

chroot_close() {
  local m
  for m in dev/pts dev sys proc; do umount -l "$1/$m" 2> /dev/null || true; done
}
