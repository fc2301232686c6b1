# SPDX-License-Identifier: GPL-2.0-or-later
# partition_layout DISK: each partition of DISK's table as sfdisk reads it,
# "NUMBER START SECTORS " one after the other (an image file named as the
# test names it).  Source it from a test that runs under set -euo pipefail.
partition_layout() {
  sfdisk --dump "$1" \
    | sed -n "s|^$1\([0-9][0-9]*\) : start= *\([0-9]*\), size= *\([0-9]*\).*|\1 \2 \3|p" | tr '\n' ' '
}
