# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the fault tests: a small machine made with host tools only (no
# appliance launch), and faulty views of files through qemu-storage-daemon.
# Its pipes must fail loudly whichever test sources it.
set -euo pipefail

# make_machine FILE [JOURNAL_MIB]: a 96 MiB raw disk, MBR, /boot (p1) and
# / (p2) in ext4 with 6 MiB of random data in /, boot code in sector 0 and
# an "embedded loader" after it; what libguestfs inspection needs to find
# an OS.  With JOURNAL_MIB, / gets a journal of that size whose blocks are
# left as they were (random): blocks a filesystem's "used" count leaves
# out but an image carries; and / is marked not clean, as after a crash
# (a mount does not change that), so capture measures and trims it in the
# appliance (statvfs), not from its bitmaps, which count the journal.
# mark_unclean FILE: / of a make_machine disk marked not clean, as after a
# crash: capture then inspects it in the appliance (asr-capture(1),
# WITHOUT THE APPLIANCE), and measures and trims it there.
mark_unclean() {
  debugfs -w -R 'set_super_value state 0' "$1?offset=$((34816 * 512))" >/dev/null 2>&1
}

make_machine() {
  local img=$1 journal=${2:-} d
  d=$(mktemp -d)
  mkdir -p "$d/root/etc" "$d/root/bin" "$d/root/sbin" "$d/root/boot" "$d/boot"
  printf 'ID=debian\nVERSION_ID=12\nNAME=Debian\n' > "$d/root/etc/os-release"
  printf 'LABEL=root / ext4 defaults 0 1\nLABEL=boot /boot ext4 defaults 0 2\n' > "$d/root/etc/fstab"
  printf 'faults\n' > "$d/root/etc/hostname"
  printf 'not a kernel' > "$d/boot/vmlinuz"
  truncate -s 96M "$img"
  printf 'label: dos\nlabel-id: 0x0fa017ed\n2048,32768,83,*\n34816,,83\n' | sfdisk -q "$img"
  mke2fs -q -t ext4 -F -L boot -E offset=$((2048 * 512)) -d "$d/boot" "$img" 16M
  local root_kib=$(((96 * 1024 * 1024 - 34816 * 512) / 1024))
  if [ -n "$journal" ]; then
    dd if=/dev/urandom of="$img" bs=1M seek=17 count=$((root_kib / 1024)) conv=notrunc status=none
    mke2fs -q -t ext4 -F -L root -J size="$journal" -E offset=$((34816 * 512)),lazy_journal_init=1,nodiscard \
      -d "$d/root" "$img" "${root_kib}k"
    mark_unclean "$img"
  else
    head -c 6M /dev/urandom > "$d/root/data.bin"
    mke2fs -q -t ext4 -F -L root -E offset=$((34816 * 512)) -d "$d/root" "$img" "${root_kib}k"
  fi
  printf 'BOOTCODE-asr-faults' | dd of="$img" conv=notrunc bs=1 seek=0 status=none
  head -c 4096 /dev/urandom | dd of="$img" conv=notrunc bs=512 seek=1 status=none
  rm -rf "$d"
}

# fault_export SOURCE MOUNT WRITABLE [blkdebug=OPTS] [read-bps=N] [write-bps=N]:
# MOUNT (a regular file, created) shows SOURCE's bytes through a
# qemu-storage-daemon FUSE export, with blkdebug's injected errors
# (OPTS: its inject-error.* options, without the "inject-error." prefix
# for the first rule, e.g. "event=read_aio,errno=5,sector=8") and a
# throttle (stalls).  A raw node on top generates blkdebug's read_aio and
# write_aio events.  fault_unexport MOUNT stops it.
fault_export() {
  local src=$1 mnt=$2 writable=$3
  shift 3
  local ro=on top=f args=() dbg='' rbps='' wbps=''
  [ "$writable" = on ] && ro=off
  for a in "$@"; do
    case $a in
      blkdebug=*) dbg=${a#blkdebug=} ;;
      read-bps=*) rbps=${a#read-bps=} ;;
      write-bps=*) wbps=${a#write-bps=} ;;
    esac
  done
  args+=(--blockdev "driver=file,node-name=f,filename=$src,read-only=$ro")
  if [ -n "$rbps$wbps" ]; then
    local limits=''
    [ -n "$rbps" ] && limits+=",x-bps-read=$rbps"
    [ -n "$wbps" ] && limits+=",x-bps-write=$wbps"
    args+=(--object "throttle-group,id=tg$limits")
    args+=(--blockdev "driver=throttle,node-name=t,throttle-group=tg,file=$top,read-only=$ro")
    top=t
  fi
  # Right under the raw node: blkdebug sees only the events of the node
  # directly above it.
  if [ -n "$dbg" ]; then
    args+=(--blockdev "driver=blkdebug,node-name=d,image=$top,read-only=$ro,inject-error.0.${dbg//,/,inject-error.0.}")
    top=d
  fi
  args+=(--blockdev "driver=raw,node-name=r,file=$top,read-only=$ro")
  : > "$mnt"
  qemu-storage-daemon "${args[@]}" \
    --export "type=fuse,id=e,node-name=r,mountpoint=$mnt,writable=$writable" \
    --pidfile "$mnt.qsd-pid" --daemonize
}

fault_unexport() {
  local mnt=$1 pid
  pid=$(cat "$mnt.qsd-pid" 2>/dev/null) || return 0
  kill "$pid" 2>/dev/null || true  # it may have stopped already
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  fusermount3 -u -z "$mnt" 2>/dev/null || true  # gone with the daemon
  rm -f "$mnt.qsd-pid"
}

# data_offset IMAGE [INDEX] [FIELD]: an offset, cluster-aligned, in the
# middle of the largest data extent of IMAGE (a qcow2 file), or of its
# INDEXth largest: where an injected error is sure to be met.  FIELD
# "offset" (default): in the qcow2 file; "start": in the guest's view.
data_offset() {
  qemu-img map --output=json "$1" | python3 -c '
import json, sys
m = sorted((e for e in json.load(sys.stdin) if e["data"]), key=lambda e: -e["length"])
e = m[int(sys.argv[1])]
print(e[sys.argv[2]] + e["length"] // 2 // 65536 * 65536)' "${2:-0}" "${3:-offset}"
}

# helpers_of PATH: processes (other than this shell's) whose command line
# names PATH: a qemu-img or qemu-io left writing it.
helpers_of() { pgrep -af -- "$1" | grep -v -e qemu-storage-daemon -e "^$$ " || true; }
