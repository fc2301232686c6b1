/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * verify — boot restored disks in a throwaway libvirt domain and judge,
 * from the serial console, whether the machine came up.
 *
 *   asr_verify_disks():  --disks IMAGE...: qcow2 overlays over the images
 *                        (never written), then boot;
 *   asr_verify_backup(): BACKUP: restore into temporary qcow2 disks, boot.
 *
 * Everything temporary lives in one private 0700 directory (overlays,
 * restored disks, NVRAM, console log, the embedded libvirt root): it is
 * removed on every way out unless asked to keep it, registered with
 * asr_cleanup_add_dir() for Ctrl-C/SIGTERM, and a directory left by a run
 * that died (SIGKILL, power cut) is found and removed by the next run.
 *
 * Library code: nothing is printed; notices go through AsrMessageFunc.
 */
#pragma once

#include <glib.h>

#include "accel.h"
#include "imager.h"
#include "machine.h"

G_BEGIN_DECLS

#define ASR_VERIFY_ERROR (asr_verify_error_quark ())
GQuark asr_verify_error_quark (void);

typedef enum {
  ASR_VERIFY_ERROR_INVALID_INPUT, /* bad image, bad option value: exit 2 */
  ASR_VERIFY_ERROR_UNAVAILABLE,   /* this build cannot do it: exit 3 */
  ASR_VERIFY_ERROR_NO_VM,         /* libvirt/qemu could not start the VM: exit 3 */
  ASR_VERIFY_ERROR_FAILED,        /* other runtime failure (I/O, qemu-img): exit 3 */
} AsrVerifyError;

/* Defaults and caps: a verify boot is a smoke test, not a load test. */
#define ASR_VERIFY_DEFAULT_TIMEOUT_SECONDS 300u
#define ASR_VERIFY_DEFAULT_EXPECT "login:"
#define ASR_VERIFY_DEFAULT_MEMORY_BYTES (G_GUINT64_CONSTANT (1) << 30)
#define ASR_VERIFY_MIN_MEMORY_BYTES (G_GUINT64_CONSTANT (512) << 20)
#define ASR_VERIFY_MAX_MEMORY_BYTES (G_GUINT64_CONSTANT (2) << 30)
#define ASR_VERIFY_MAX_VCPUS 2u

typedef enum {
  ASR_VERIFY_BUS_VIRTIO = 0,
  ASR_VERIFY_BUS_SATA,
  ASR_VERIFY_BUS_SCSI,
  ASR_VERIFY_BUS_NVME,
} AsrVerifyBus;

const char *asr_verify_bus_to_string (AsrVerifyBus bus);
/* Also accepts the descriptor's "ide" and "usb" as sata (what a guest
 * most likely has drivers for); FALSE for anything else. */
gboolean asr_verify_bus_from_string (const char *s, AsrVerifyBus *out);

/* ---- the domain XML (pure: golden-tested) ------------------------------- */

typedef struct {
  const char *path;   /* absolute: what qemu opens */
  const char *format; /* "qcow2" for overlays and restored disks */
} AsrVerifyDomainDisk;

typedef struct {
  const char *name;         /* domain name, unique per run */
  AsrAccel accel;           /* TCG → type 'qemu', KVM → type 'kvm' */
  MachineFirmware firmware; /* BIOS or UEFI (UNKNOWN is treated as BIOS) */
  guint64 memory_bytes;     /* already capped */
  guint vcpus;              /* already capped */
  AsrVerifyBus bus;
  const AsrVerifyDomainDisk *disks; /* disk0 (the boot disk) first */
  guint n_disks;
  gboolean network;         /* one user-mode NIC */
  const char *console_path; /* serial console log file */
  const char *nvram_path;   /* UEFI: a file that does not exist yet */
  const char *sercon_path;  /* BIOS: SeaBIOS serial-console fw_cfg file, or NULL */
  gboolean run_as_root;     /* static DAC seclabel +0:+0 (asr runs as root) */
} AsrVerifyDomainConfig;

/* The transient domain's XML: no network unless asked, on_poweroff/
 * on_reboot/on_crash destroy, serial console to a file, firmware
 * autoselection with Secure Boot off for UEFI. */
char *asr_verify_domain_xml (const AsrVerifyDomainConfig *c);

/* Memory and vCPUs for a descriptor's hardware (NULL: defaults), capped. */
void asr_verify_size_machine (const MachineHardware *hw, guint64 *memory_bytes, guint *vcpus);

/* ---- the console (pure: tested on sample logs) -------------------------- */

typedef enum {
  ASR_CONSOLE_NOTHING = 0,    /* an ordinary line */
  ASR_CONSOLE_EXPECTED,       /* the --expect line: booted */
  ASR_CONSOLE_MACHINE_FAILED, /* a test machine's "... FAILED ..." line */
  ASR_CONSOLE_KERNEL_PANIC,
  ASR_CONSOLE_EMERGENCY_SHELL,    /* systemd emergency mode, an initramfs shell */
  ASR_CONSOLE_NO_BOOTABLE_DEVICE, /* SeaBIOS */
  ASR_CONSOLE_NO_BOOTABLE_OPTION, /* OVMF: nothing to boot, or a boot option failed */
  ASR_CONSOLE_UEFI_SHELL,         /* OVMF fell back to its shell */
} AsrConsoleClass;

/* "kernel-panic", "emergency-shell", ... as in the report and JSON. */
const char *asr_console_class_to_string (AsrConsoleClass c);

/* Classifies one console line (without its newline; terminal escapes
 * and carriage returns already removed).  Failures win over @expect, so
 * that an --expect too broad to mean anything cannot hide a panic. */
AsrConsoleClass asr_console_classify_line (const char *line, const GRegex *expect);

/* Removes carriage returns and terminal escape sequences in place; returns
 * @line. */
char *asr_console_clean_line (char *line);

/* The last @n non-empty lines of @path, cleaned (char*), or an empty array
 * when it cannot be read. */
GPtrArray *asr_console_tail (const char *path, guint n);

/* ---- a run ----------------------------------------------------------------- */

typedef enum {
  ASR_VERIFY_BOOTED = 0,
  ASR_VERIFY_DID_NOT_BOOT,
  ASR_VERIFY_CHECKSUM_MISMATCH,  /* restore found an image that does not match */
  ASR_VERIFY_INCOMPLETE_RESTORE, /* restore did not finish */
} AsrVerifyVerdict;

/* "booted", "did-not-boot", "checksum-mismatch", "incomplete-restore" */
const char *asr_verify_verdict_to_string (AsrVerifyVerdict v);

typedef struct {
  AsrVerifyVerdict verdict;
  /* why, machine-readable: "expected-line", "timeout", "domain-stopped",
   * or an AsrConsoleClass name; for restore verdicts "restore" */
  char *reason;
  char *detail;      /* the deciding console line, or a sentence */
  double seconds;    /* from domain start to the verdict */
  char *console_log; /* NULL once removed (success without --keep) */
  char *workdir;     /* the private directory, when kept */
  GPtrArray *tail;   /* char*: the last console lines (on failure) */
  char *accel;       /* "tcg" or "kvm", and why */
  char *uri;         /* the libvirt connection used */
} AsrVerifyResult;

void asr_verify_result_free (AsrVerifyResult *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AsrVerifyResult, asr_verify_result_free)

typedef struct {
  guint timeout_seconds;   /* 0 = ASR_VERIFY_DEFAULT_TIMEOUT_SECONDS */
  const char *connect_uri; /* NULL = the embedded driver in the private dir */
  const char *expect;      /* NULL = ASR_VERIFY_DEFAULT_EXPECT; a regex */
  gboolean network;
  gboolean keep; /* keep the private directory */
  /* --disks only (a backup's descriptor says these itself) */
  MachineFirmware firmware; /* UNKNOWN = BIOS */
  AsrVerifyBus bus;
  AsrProgressFunc progress; /* restore progress (BACKUP) */
  AsrMessageFunc message;   /* notices: acceleration, kept directory */
  void *opaque;
} AsrVerifyOptions;

typedef struct {
  const char *path;
  const char *format; /* NULL: probed safely */
} AsrVerifyImage;

/* Boots @images (disk0 first) through qcow2 overlays.  Returns a result
 * for any verdict; NULL with @error when no verdict could be reached
 * (bad input, no VM could be started). */
AsrVerifyResult *asr_verify_disks (const AsrVerifyImage *images, guint n_images,
                                   const AsrVerifyOptions *opts, GError **error);

/* Restores the backup set @backup into temporary qcow2 disks, then boots
 * them.  A restore that finds a checksum mismatch is a verdict
 * (ASR_VERIFY_CHECKSUM_MISMATCH), not an error. */
AsrVerifyResult *asr_verify_backup (const char *backup, const AsrVerifyOptions *opts,
                                    GError **error);

/* ---- the private directory ----------------------------------------------- */

/* Where private directories are made: $TMPDIR if set, else /var/tmp
 * (restored disks can be large: not a tmpfs). */
char *asr_verify_parent_dir (void);

/* Removes private directories under @parent left by runs whose process is
 * gone, killing their qemu if it still runs.  Returns how many. */
guint asr_verify_remove_stale (const char *parent);

G_END_DECLS
