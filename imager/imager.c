/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The asr-imager library's own definitions, shared by capture, check and
 * restore (imager.h).
 */
#include "config.h"

#include "imager.h"

/* clang-format off */
G_DEFINE_QUARK (asr-imager-error-quark, asr_imager_error)
/* clang-format on */
