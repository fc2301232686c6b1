# SPDX-License-Identifier: GPL-2.0-or-later
#
# Staging the test machines' filesystems as tar files that guestfish unpacks
# (tar-in): owners are root whoever builds them, and nothing is mounted on
# the host.  Sourced by build-bios-mbr and build-uefi-gpt after
# lib/common.sh and facts_load.

# fact NAME: the value of a fact, empty if unset (indirect, for names built
# from a disk and partition number).
fact() { printf '%s' "${!1:-}"; }

# vm_volume_keys: the fact prefix of every volume that may hold a
# filesystem or swap: each disk's partitions (SYSTEM_P1...), then each
# volume group's logical volumes (VG0_ROOT...), then each md array (MD0).
vm_volume_keys() {
  local d p vg lv md
  for d in $DISKS; do
    for p in $(fact "${d^^}_PARTITIONS"); do printf '%s\n' "${d^^}_P$p"; done
  done
  for vg in ${VGS:-}; do
    for lv in $(fact "${vg^^}_LVS"); do printf '%s\n' "${vg^^}_${lv^^}"; done
  done
  for md in ${MDS:-}; do printf '%s\n' "${md^^}"; done
}

# vm_volume_uuid KEY: the UUID of the filesystem or swap on a volume (a
# logical volume's own UUID is LVM's, in KEY_UUID; its filesystem's is in
# KEY_FS_UUID).
vm_volume_uuid() {
  local u
  u=$(fact "${1}_FS_UUID")
  [ -n "$u" ] || u=$(fact "${1}_UUID")
  printf '%s' "$u"
}

# vm_fstab: /etc/fstab from the facts, by UUID: / first, then the others by
# mount point (so /boot comes before /boot/efi), swap last.
vm_fstab() {
  local k fs uuid mp opts lines=() swaps=()
  printf '# /etc/fstab of the asr test machine %s: every entry by UUID.\n' "$MACHINE"
  for k in $(vm_volume_keys); do
    fs=$(fact "${k}_FS") uuid=$(vm_volume_uuid "$k") mp=$(fact "${k}_MOUNTPOINT")
    opts=$(fact "${k}_OPTIONS")
    if [ "$fs" = swap ]; then
      swaps+=("UUID=$uuid none swap sw 0 0")
      continue
    fi
    [ -n "$mp" ] || continue
    if [ "$mp" = / ]; then
      printf 'UUID=%s / %s %s 0 1\n' "$uuid" "$fs" "${opts:-errors=remount-ro}"
      continue
    fi
    [ "$fs" != vfat ] || opts=${opts:-umask=0077}
    lines+=("$mp UUID=$uuid $mp $fs ${opts:-defaults} 0 2")
  done
  [ ${#lines[@]} -eq 0 ] || printf '%s\n' "${lines[@]}" | LC_ALL=C sort -k1,1 | cut -d' ' -f2-
  [ ${#swaps[@]} -eq 0 ] || printf '%s\n' "${swaps[@]}"
}

# vm_stage_root DIR: the root filesystem, busybox-static as the userland.
vm_stage_root() {
  local root=$1 applet k mp
  mkdir -p "$root"/{bin,sbin,etc,dev,proc,sys,tmp,run,root,var,mnt}
  chmod 1777 "$root/tmp"
  chmod 0700 "$root/root"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list); do
    case $applet in busybox|init) continue ;; esac
    ln -s busybox "$root/bin/$applet"
  done
  cp "$VM_TESTS_DIR/machine-init" "$root/sbin/init"
  chmod 0755 "$root/sbin/init"

  # Mount points for the other volumes.
  for k in $(vm_volume_keys); do
    mp=$(fact "${k}_MOUNTPOINT")
    case $mp in /?*) mkdir -p "$root$mp" ;; esac
  done

  printf '%s\n' "$HOSTNAME" >"$root/etc/hostname"
  printf '127.0.0.1 localhost\n127.0.1.1 %s\n' "$HOSTNAME" >"$root/etc/hosts"
  vm_fstab >"$root/etc/fstab"
  # What libguestfs inspection reads to call this Debian 12.
  cat >"$root/etc/os-release" <<OSR
PRETTY_NAME="asr test machine $MACHINE (Debian 12 packages, busybox userland)"
NAME="asr test machine"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
OSR
  printf '12.0\n' >"$root/etc/debian_version"
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
  printf 'root:x:0:\n' >"$root/etc/group"
  printf 'root:*:19000:0:99999:7:::\n' >"$root/etc/shadow"
  chmod 0640 "$root/etc/shadow"
  vm_marker "$root" /
}

# vm_marker DIR MOUNTPOINT: the marker machine-init checks on each volume.
vm_marker() {
  printf '%s\n' "$2" >"$1/.asr-volume"
}

# vm_tar DIR TARFILE: DIR's contents, owned by root, in a stable order.
vm_tar() {
  tar -C "$1" --owner=0 --group=0 --numeric-owner --sort=name \
      --mtime=@0 -cf "$2" .
}

# vm_cmdline ROOT_UUID: the kernel command line of both machines.
vm_cmdline() {
  printf 'console=ttyS0,115200 panic=-1 root=UUID=%s asr.machine=%s\n' "$1" "$MACHINE"
}
