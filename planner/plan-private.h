/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared between the planner's files; not part of the public API. */
#pragma once

#include "planner.h"

/* A target disk while planning. */
typedef struct {
  const MachineDisk *disk;
  PlanTargetDisk *out; /* owned by plan->targets */
  guint index;         /* target order */
  guint32 sector;      /* effective logical sector: unknown counts as 512 */
  gboolean eligible;
  gboolean protected_disk; /* carries a source non-critical disk's identity */
  gboolean holds_backup;   /* in-use reason backup-set */
  gboolean unreadable;     /* a partition table asr cannot read */
  gboolean map_only;       /* excluded for that alone: a --map may name it */
  int assigned;            /* source index, -1 when spare */
} PlanTDisk;

typedef enum {
  PLAN_PIN_NONE = 0,
  PLAN_PIN_MAP,       /* --map */
  PLAN_PIN_SIGNATURE, /* signature/GUID match */
  PLAN_PIN_SERIAL,    /* serial/WWN match */
  PLAN_PIN_CAPACITY,  /* smallest sufficient eligible disk */
  PLAN_PIN_SHRINK,    /* --shrink: the largest free eligible disk, smaller than the source */
} PlanPin;

/* A source critical disk while planning. */
typedef struct {
  const MachineDisk *disk;
  guint index; /* among the critical disks */
  guint32 sector;
  int target; /* PlanTDisk index, -1 when unmapped */
  PlanPin pin;
  char *map_spec; /* the --map that pinned it */
} PlanSDisk;

typedef struct {
  const PlanBackup *backup;
  const MachineDescriptor *src;
  const MachineHardware *thw; /* the target's hardware, NULL unknown */
  const PlanOptions *opt;
  PlanSDisk *sources;
  guint n_sources;
  PlanTDisk *targets;
  guint n_targets;
  Plan *plan;
  gboolean identity_dropped; /* identity pins were given up to map every disk */
} PlanCtx;

void plan_map_request_free (PlanMapRequest *r);
void plan_check_add_take (PlanCheck *c, PlanStatus status, char *message);

/* Identifiers are compared without case (asr-machine(5)). */
gboolean plan_id_equal (const char *a, const char *b);
/* The MBR signature or GPT GUID with its kind ("MBR signature 0x..."),
 * NULL when the disk has none. */
char *plan_disk_identity (const MachineDisk *d);
/* Logical sector size, 512 when unknown. */
guint32 plan_disk_sector (const MachineDisk *d);

/* How a mapping pinned by --map begins its reason (plan.xml keeps it). */
#define PLAN_PINNED_BY_MAP "pinned by --map "

/* plan-map.c */
/* Fills ctx->thw, ctx->targets (each disk judged writable or not, and
 * added to the plan's targets) and ctx->sources (the critical disks). */
gboolean plan_gather_disks (PlanCtx *ctx, GPtrArray *targets, GError **error);
gboolean plan_map_disks (PlanCtx *ctx, GError **error);
void plan_map_checks (PlanCtx *ctx);

/* plan-rules.c */
void plan_rules_hardware (PlanCtx *ctx);
gboolean plan_rules_images (PlanCtx *ctx, GError **error);
void plan_rules_volumes (PlanCtx *ctx);
void plan_rules_fstab (PlanCtx *ctx);
void plan_rules_boot (PlanCtx *ctx);

/* plan-stack.c */
void plan_rules_stack (PlanCtx *ctx);
