#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The command line contract: help, version, usage errors and their exit
# statuses, validate and show on the schema examples.
set -euo pipefail
. "$(dirname "$0")/../lib/tap.sh"

asr=${ASR:?ASR must name the asr binary}
ex=${ASR_SOURCE_ROOT:?}/xml-schemas/examples
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The commands, from cli/asr.c's table, so that a new one is covered too.
mapfile -t commands < <(sed -n '/^static const AsrCommand \*const commands\[\] = {/,/^};/s/^ *&asr_command_\([a-z_]*\),.*/\1/p' \
  "$ASR_SOURCE_ROOT/cli/asr.c")

plan $((37 + 2 * ${#commands[@]}))

run "$asr" --version
check "--version prints the version" 0 '^asr [0-9]+\.[0-9]+\.[0-9]+$'

run "$asr" --help
check "--help lists the commands" 0 'validate' 
run "$asr" --help
check "--help names the exit statuses" 0 '2 bad usage'

run "$asr"
check "no command is a usage error" 2 '' 'Usage: asr COMMAND'

run "$asr" frobnicate
check "an unknown command is exit 2 with one line" 2 '' "^asr: unknown command 'frobnicate'"
[ "$(wc -l <<<"$err")" -eq 1 ] && pass "unknown command: exactly one line" \
  || fail "unknown command: exactly one line" "$err"

run "$asr" --frobnicate
check "an unknown global option is exit 2" 2 '' "unknown option '--frobnicate'"

run "$asr" validate --frobnicate "$ex/valid/bios-mbr-server.xml"
check "an unknown command option is exit 2" 2 '' '^asr validate: Unknown option --frobnicate'
[ "$(wc -l <<<"$err")" -eq 1 ] && pass "unknown option: exactly one line" \
  || fail "unknown option: exactly one line" "$err"

run "$asr" help validate
check "help COMMAND shows its synopsis" 0 'asr validate .*FILE\.xml'

run "$asr" validate --help
check "COMMAND --help is the same help" 0 'asr-validate\(1\)'

run "$asr" help frobnicate
check "help for an unknown command is exit 2" 2 '' "unknown command 'frobnicate'"

run "$asr" validate
check "validate without files is exit 2" 2 '' 'expects at least one FILE'

run "$asr" validate "$ex/valid/bios-mbr-server.xml" "$ex/valid/uefi-gpt-server.xml"
check "validate accepts valid examples" 0 'uefi-gpt-server.xml: valid'

run "$asr" validate "$ex/valid/bios-mbr-server.xml" "$ex/invalid/partition-overlap.xml"
check "validate: one invalid file makes exit 2" 2 'bios-mbr-server.xml: valid' \
  'partition-overlap\.xml:[0-9]+: .*overlap'

run "$asr" validate "$tmp/absent.xml"
check "validate: a missing file is exit 2" 2 '' 'absent\.xml: no such file'

run "$asr" show "$ex/valid/bios-mbr-server.xml"
check "show: the disks table" 0 'disk0 +yes'
check "show: sizes in GiB beside bytes" 0 'GiB \([0-9]+ bytes\)'

run "$asr" show --json "$ex/valid/uefi-gpt-server.xml"
if [ "$rc" -eq 0 ] && python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["disks"][0]["partition_table"]["type"]=="gpt"; assert d["hardware"]["firmware"]=="uefi"' <<<"$out"; then
  pass "show --json: parseable, gpt and uefi"
else
  fail "show --json: parseable, gpt and uefi" "rc=$rc" "$out" "$err"
fi

# The storage stack, both ways: the partition says what it carries, the
# stack says what it sits on and what is on it.
run "$asr" show "$ex/valid/rhel-lvm-server.xml"
check "show: a partition carrying an LVM PV says so" 0 '^  2 +primary .*0x8e +LVM PV of vg0 '
check "show: the physical volume and its device" 0 '^    pv on disk0/p2: uuid pV9x2K-'
check "show: the logical volume and the volume on it" 0 \
  '^      -> xfs on /, uuid 7c8d9e0f-[-0-9a-f]+, critical, image vg0-root\.qcow2'
run "$asr" show "$ex/valid/raid1-server.xml"
check "show: a partition carrying an md member says so" 0 '0xfd +md member 1 of md0 '
run "$asr" show "$ex/valid/luks-server.xml"
check "show: a LUKS container, captured encrypted" 0 \
  '^    image crypt-srv\.qcow2: the encrypted container, whole$'
run "$asr" show "$ex/valid/btrfs-server.xml"
check "show: btrfs subvolumes" 0 '@home \(id 257\) on /home'
run "$asr" show --json "$ex/valid/raid1-server.xml"
if [ "$rc" -eq 0 ] && python3 -c 'import json,sys; d=json.load(sys.stdin); a=d["md_arrays"][0]; assert a["level"]=="raid1" and [m["device"] for m in a["members"]]==["disk0/p1","disk1/p1"] and a["volume"]["mountpoint"]=="/"' <<<"$out"; then
  pass "show --json: the md array, its members and its volume"
else
  fail "show --json: the md array, its members and its volume" "rc=$rc" "$out" "$err"
fi

mkdir "$tmp/backup"
cp "$ex/valid/bios-mbr-server.xml" "$tmp/backup/machine.xml"
run "$asr" show "$tmp/backup"
check "show BACKUP reads BACKUP/machine.xml" 0 'disk0'

mkdir "$tmp/empty"
run "$asr" show "$tmp/empty"
check "show: a directory without machine.xml is exit 2" 2 '' 'not a backup set'

run "$asr" --help
if [ "${#commands[@]}" -ge 8 ] && [ "$rc" -eq 0 ] \
   && (for c in "${commands[@]}"; do grep -qE "^ +$c " <<<"$out" || exit 1; done); then
  pass "the command table read from cli/asr.c: ${commands[*]}"
else
  fail "the command table read from cli/asr.c: ${commands[*]}" "$(_tap_report)"
fi
# Each command, given the option and no arguments, must complain about
# its arguments: the option itself was accepted.
for c in "${commands[@]}"; do
  for o in --verbose --debug; do
    run "$asr" "$c" "$o"
    if [ "$rc" -eq 2 ] && grep -q "^asr $c: " <<<"$err" && ! grep -qi 'unknown option' <<<"$err"; then
      pass "$o is accepted by $c (the error is about its arguments)"
    else
      fail "$o is accepted by $c (the error is about its arguments)" "$(_tap_report)"
    fi
  done
done
run "$asr" validate --verbose "$ex/valid/bios-mbr-server.xml"
check "--verbose changes no result" 0 'valid'
run "$asr" help show
check "help lists --verbose and --debug" 0 '--debug'

run "$asr" show "$ex/invalid/partition-overlap.xml"
check "show refuses an invalid descriptor" 2 '' 'overlap'

# -o - is standard output: the plan's XML there, the report on stderr,
# and no file named '-'.
cwd=$(mktemp -d)
(cd "$cwd" && "$asr" plan --mode migrate -o - "$ex/valid/uefi-gpt-server.xml" \
  "$ex/valid/probed-target.xml" >plan.out 2>plan.err) && rc=0 || rc=$?
if [ "$rc" -eq 0 ] && [ ! -e "$cwd/-" ] && head -1 "$cwd/plan.out" | grep -q '^<?xml' \
   && grep -q '^<plan ' "$cwd/plan.out" && grep -q '^Result: restorable' "$cwd/plan.err"; then
  pass "plan -o - writes the plan to standard output and the report to stderr"
else
  fail "plan -o - writes the plan to standard output and the report to stderr" "exit $rc" \
    "$(ls "$cwd")" "$(head -3 "$cwd/plan.out" "$cwd/plan.err")"
fi
rm -rf "$cwd"

# asr rescue: refused before anything is built
run "$asr" rescue
check "rescue without -o is a usage error" 2 '' 'expects -o FILE.iso'
run "$asr" rescue -o "$tmp/m.iso" --unattended
check "rescue --unattended without --backup is a usage error" 2 '' 'give --backup'
run "$asr" rescue -o "$tmp/m.iso" --backup "$ex/valid/bios-mbr-server.xml"
check "rescue --backup of a descriptor, not a set, is a usage error" 2 '' 'BACKUP is a backup-set directory'
[ ! -e "$tmp/m.iso" ] && pass "rescue: no medium after a refusal" || fail "rescue: no medium after a refusal"

finish
