/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which accelerator qemu (and the libguestfs appliance) can use here.
 *
 * /dev/kvm can exist and still fail for a real guest (nested
 * virtualisation: a kernel hangs silently, or qemu aborts with -cpu host),
 * so asr boots the newest /boot kernel to a panic under KVM once, with a
 * short timeout, and caches the answer keyed by the host kernel, the
 * probe kernel and the qemu binary.  ASR_ACCEL=kvm|tcg forces one.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  ASR_ACCEL_TCG = 0,
  ASR_ACCEL_KVM,
} AsrAccel;

const char *asr_accel_to_string (AsrAccel accel);

/* Decides, probing at most once per cache key.  @reason (optional) gets
 * one line saying why, e.g. "KVM probe failed (no panic within 8 s):
 * using TCG".  Never fails: anything uncertain means TCG. */
AsrAccel asr_accel_decide (char **reason);

G_END_DECLS
