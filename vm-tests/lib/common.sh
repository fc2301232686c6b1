# SPDX-License-Identifier: GPL-2.0-or-later
#
# Helpers shared by the vm-tests scripts (sourced, never run).

# sfdisk, mkfs.vfat, modprobe live in sbin, which a user's PATH may lack.
PATH=$PATH:/usr/sbin:/sbin

# KVM is broken for nested guests on the machines this runs on, and a broken
# KVM makes the libguestfs appliance abort: TCG unless ASR_ACCEL=kvm.
export LIBGUESTFS_BACKEND=${LIBGUESTFS_BACKEND:-direct}
if [ "${ASR_ACCEL:-tcg}" != kvm ]; then
  export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}
fi

vm_say() { printf '%s\n' "$*" >&2; }
vm_die() { vm_say "${0##*/}: $*"; exit 1; }

# The kernel the machines run: the newest /boot/vmlinuz-*, not the running
# kernel (whose modules can differ from /boot's).  ASR_VM_KERNEL_VERSION
# overrides.
vm_kernel_version() {
  if [ -n "${ASR_VM_KERNEL_VERSION:-}" ]; then
    printf '%s\n' "$ASR_VM_KERNEL_VERSION"
    return
  fi
  local k
  k=$(ls -1 /boot/vmlinuz-* 2>/dev/null | sed 's|^/boot/vmlinuz-||' | sort -V | tail -n 1)
  [ -n "$k" ] || vm_die "no kernel in /boot (install linux-image-amd64)"
  [ -d "/lib/modules/$k" ] || vm_die "no /lib/modules/$k for /boot/vmlinuz-$k"
  [ -r "/boot/vmlinuz-$k" ] || vm_die "/boot/vmlinuz-$k is not readable"
  printf '%s\n' "$k"
}

# Reads a facts file (KEY=value lines, see machines/*.env) into shell
# variables.  Values may hold spaces, so the file is parsed, never sourced.
facts_load() {
  local file=$1 line key
  [ -r "$file" ] || vm_die "cannot read $file"
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in ''|'#'*) continue ;; esac
    key=${line%%=*}
    [[ $key =~ ^[A-Z][A-Z0-9_]*$ ]] || vm_die "$file: bad line: $line"
    printf -v "$key" '%s' "${line#*=}"
  done <"$file"
}

# facts_get FILE KEY: one value, empty if absent.
facts_get() {
  local file=$1 want=$2 line
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in "$want="*) printf '%s\n' "${line#*=}"; return 0 ;; esac
  done <"$file"
  return 0
}
