#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""asr benchmark harness: asr against the tools users would pick instead.
Run through bench/run.

Builds the workloads once (cached under $ASR_BENCH_CACHE, keyed by their
content), then for each repetition runs asr and every baseline one after
another on the same files (A B C A B C ...), and reports medians and ratios
taken within this run: absolute times on a shared machine are noise.
"""

import argparse
import hashlib
import inspect
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET

MiB = 1 << 20
GiB = 1 << 30
SECTOR = 512

# Deterministic identities, so a rebuilt workload is byte-identical.
DISK_GUID = "5E0D3C2A-0B1A-4C6E-9D2F-0A5B1E000001"
ESP_GUID = "5E0D3C2A-0B1A-4C6E-9D2F-0A5B1E000002"
ROOT_GUID = "5E0D3C2A-0B1A-4C6E-9D2F-0A5B1E000003"
ROOT_UUID = "3f2a6c1e-7b4d-4e8a-9c0f-5d1e2b3a4c5d"
ESP_VOLID = "A5B0C0DE"

WORKLOADS_FULL = {
    # name: disk bytes, ESP bytes, root bytes (None = rest of disk),
    #       real files, written-then-deleted bytes, random bytes
    "W1": dict(disk=8 * GiB, esp=256 * MiB, root=None, files=1536 * MiB, junk=512 * MiB, random=0),
    "W2": dict(disk=32 * GiB, esp=256 * MiB, root=None, files=1024 * MiB, junk=0, random=0),
    "W3": dict(disk=4 * GiB + 66 * MiB, esp=64 * MiB, root=4 * GiB, files=0, junk=0,
               random=4 * GiB - 288 * MiB),
}
WORKLOADS_QUICK = {
    "W1": dict(disk=2 * GiB, esp=64 * MiB, root=None, files=384 * MiB, junk=128 * MiB, random=0),
    "W2": dict(disk=8 * GiB, esp=64 * MiB, root=None, files=256 * MiB, junk=0, random=0),
    "W3": dict(disk=1 * GiB + 66 * MiB, esp=64 * MiB, root=1 * GiB, files=0, junk=0,
               random=1 * GiB - 128 * MiB),
}
FILE_SOURCES = ["/usr/share", "/usr/lib"]


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def sh(*args, **kw):
    kw.setdefault("check", True)
    return subprocess.run([str(a) for a in args], **kw)


def out(*args):
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True).stdout


def tcg_env():
    env = dict(os.environ)
    env.setdefault("LIBGUESTFS_BACKEND", "direct")
    if env.get("ASR_ACCEL", "tcg") == "tcg":
        env["LIBGUESTFS_BACKEND_SETTINGS"] = "force_tcg"
    return env


# --------------------------------------------------------------------------
# Workloads

def select_files(total):
    """Regular files from the host's Debian packages (/usr/share, /usr/lib),
    in sorted order, until @total bytes: real, compressible-as-in-life data."""
    picked, size = [], 0
    for top in FILE_SOURCES:
        for root, dirs, files in os.walk(top):
            dirs.sort()
            for f in sorted(files):
                p = os.path.join(root, f)
                try:
                    st = os.lstat(p)
                except OSError:
                    continue
                if not os.path.isfile(p) or os.path.islink(p) or st.st_size == 0:
                    continue
                if not os.access(p, os.R_OK):
                    continue
                picked.append((p, st.st_size, st.st_mtime_ns))
                size += st.st_size
                if size >= total:
                    return picked, size
    return picked, size


def write_stream(path, nbytes, key):
    """@nbytes of AES-CTR keystream: incompressible, and the same every time."""
    k = hashlib.sha256(key.encode()).hexdigest()[:32]
    with open(path, "wb") as f:
        enc = subprocess.Popen(["openssl", "enc", "-aes-128-ctr", "-K", k, "-iv", "0" * 32,
                                "-in", "/dev/zero"], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL)
        left = nbytes
        while left:
            buf = enc.stdout.read(min(left, 8 * MiB))
            f.write(buf)
            left -= len(buf)
        enc.kill()
        enc.wait()


def build_disk(dir_, name, spec, manifest):
    """GPT disk: ESP (vfat) + ext4 root with the files libguestfs inspection
    needs to accept it as an OS.  Built with mke2fs -d and dd into a sparse
    file: no loop devices, no appliance."""
    disk = os.path.join(dir_, "disk.raw")
    tmp = os.path.join(dir_, "tmp")
    os.makedirs(tmp, exist_ok=True)
    with open(disk, "wb") as f:
        f.truncate(spec["disk"])
    esp_end = 2048 + spec["esp"] // SECTOR - 1
    root_end = "0" if spec["root"] is None else f"+{spec['root'] // SECTOR}"
    sh("sgdisk", "-o", "-U", DISK_GUID,
       "-n", f"1:2048:{esp_end}", "-t", "1:ef00", "-c", "1:EFI", "-u", f"1:{ESP_GUID}",
       "-n", f"2:{esp_end + 1}:{root_end}", "-t", "2:8300", "-c", "2:root", "-u", f"2:{ROOT_GUID}",
       disk, stdout=subprocess.DEVNULL)
    parts = partitions(disk)

    esp = os.path.join(tmp, "esp.img")
    sh("mkfs.fat", "-i", ESP_VOLID, "-n", "EFI", "-C", esp, parts[1][1] * SECTOR // 1024,
       stdout=subprocess.DEVNULL)
    sh("dd", f"if={esp}", f"of={disk}", "bs=1M", f"seek={parts[1][0] * SECTOR}",
       "oflag=seek_bytes", "conv=notrunc,sparse", "status=none")
    os.unlink(esp)

    stage = os.path.join(tmp, "root")
    for d in ("etc", "bin", "sbin", "boot/efi", "root", "tmp", "var"):
        os.makedirs(os.path.join(stage, d), exist_ok=True)
    with open(os.path.join(stage, "etc/os-release"), "w") as f:
        f.write(f'ID=debian\nVERSION_ID=12\nNAME="asr bench {name}"\n')
    with open(os.path.join(stage, "etc/fstab"), "w") as f:
        f.write(f"UUID={ROOT_UUID} / ext4 defaults 0 1\n"
                f"UUID={ESP_VOLID[:4]}-{ESP_VOLID[4:]} /boot/efi vfat umask=0077 0 1\n")
    with open(os.path.join(stage, "etc/hostname"), "w") as f:
        f.write(f"bench-{name.lower()}\n")
    for p, _, _ in manifest:
        dst = os.path.join(stage, p.lstrip("/"))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        try:
            os.link(p, dst)      # same filesystem: no copy
        except OSError:
            shutil.copy2(p, dst)
    if spec["random"]:
        write_stream(os.path.join(stage, "var/random.bin"), spec["random"], name + "-random")
    if spec["junk"]:
        write_stream(os.path.join(stage, "junk.bin"), spec["junk"], name + "-junk")

    root = os.path.join(tmp, "root.img")
    sh("mke2fs", "-q", "-F", "-t", "ext4", "-m", "0", "-U", ROOT_UUID, "-L", "root",
       "-E", "root_owner=0:0,lazy_itable_init=0,nodiscard", "-d", stage, root,
       f"{parts[2][1] * SECTOR // 1024}k")
    if spec["junk"]:
        # Deleted without trim: the blocks are free, their bytes still there.
        sh("debugfs", "-w", "-R", "rm /junk.bin", root, stdout=subprocess.DEVNULL,
           stderr=subprocess.DEVNULL)
    sh("dd", f"if={root}", f"of={disk}", "bs=1M", f"seek={parts[2][0] * SECTOR}",
       "oflag=seek_bytes", "conv=notrunc,sparse", "status=none")
    os.unlink(root)
    shutil.rmtree(tmp)

    # partclone cannot read at an offset: extract the root partition to a
    # file here, outside any timed run.
    sh("dd", f"if={disk}", f"of={os.path.join(dir_, 'root-partition.raw')}", "bs=1M",
       f"skip={parts[2][0] * SECTOR}", f"count={parts[2][1] * SECTOR}",
       "iflag=skip_bytes,count_bytes", "conv=sparse", "status=none")


def partitions(disk):
    """{number: (start sector, sectors)} from sgdisk."""
    res = {}
    for line in out("sgdisk", "-p", disk).splitlines():
        m = re.match(r"\s+(\d+)\s+(\d+)\s+(\d+)\s", line)
        if m:
            n, s, e = map(int, m.groups())
            res[n] = (s, e - s + 1)
    return res


def workload(cache, name, spec):
    manifest, fbytes = select_files(spec["files"]) if spec["files"] else ([], 0)
    h = hashlib.sha256()
    h.update(json.dumps(spec, sort_keys=True).encode())
    h.update(inspect.getsource(build_disk).encode())
    h.update(inspect.getsource(write_stream).encode())
    for m in manifest:
        h.update(repr(m).encode())
    key = h.hexdigest()[:16]
    dir_ = os.path.join(cache, f"{name}-{key}")
    if not os.path.exists(os.path.join(dir_, "done")):
        shutil.rmtree(dir_, ignore_errors=True)
        os.makedirs(dir_)
        log(f"{name}: building {dir_} ({spec['disk'] / GiB:.1f} GiB disk, "
            f"{fbytes / MiB:.0f} MiB files, {spec['junk'] / MiB:.0f} MiB deleted, "
            f"{spec['random'] / MiB:.0f} MiB random)")
        t = time.monotonic()
        build_disk(dir_, name, spec, manifest)
        open(os.path.join(dir_, "done"), "w").close()
        log(f"{name}: built in {time.monotonic() - t:.0f} s")
    disk = os.path.join(dir_, "disk.raw")
    parts = partitions(disk)
    fs = {}
    for line in out("dumpe2fs", "-h", os.path.join(dir_, "root-partition.raw")).splitlines():
        k, _, v = line.partition(":")
        fs[k.strip()] = v.strip()
    bs = int(fs["Block size"])
    return dict(name=name, dir=dir_, key=key, disk=disk, spec=spec, parts=parts,
                root_part=os.path.join(dir_, "root-partition.raw"),
                file_bytes=fbytes, file_count=len(manifest),
                root_used=(int(fs["Block count"]) - int(fs["Free blocks"])) * bs,
                alloc_bytes=os.stat(disk).st_blocks * 512)


# --------------------------------------------------------------------------
# Measuring

def proc_table():
    tab = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                s = f.read()
        except OSError:
            continue
        r = s.rfind(")")
        comm = s[s.find("(") + 1:r]
        f = s[r + 2:].split()
        tab[int(d)] = (int(f[1]), comm, int(f[11]) + int(f[12]))   # ppid, comm, utime+stime
    return tab


def hwm_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Run:
    """One timed command: wall time, /usr/bin/time -v's peak RSS (the largest
    of the process and every child it waited for), and from polling /proc
    the peak RSS of the command itself and of each kind of child, and when
    each kind of child ran (phases)."""

    def __init__(self, label, argv, env=None, stamp_stderr=False, cwd=None):
        self.label, self.argv = label, [str(a) for a in argv]
        fd, self.timefile = tempfile.mkstemp(prefix="bench-time-")
        os.close(fd)
        t0 = time.monotonic()
        t0_wall = time.time()
        p = subprocess.Popen(["/usr/bin/time", "-v", "-o", self.timefile] + self.argv,
                             env=env, cwd=cwd, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, start_new_session=True)
        self.lines = []
        stdout = []
        t_out = threading.Thread(target=lambda: stdout.append(p.stdout.read()))
        t_err = threading.Thread(target=self._read_err, args=(p.stderr, t0))
        t_out.start()
        t_err.start()
        seen = {}       # pid -> [comm, hwm, first, last]
        own = None
        while p.poll() is None:
            now = time.monotonic() - t0
            tab = proc_table()
            kids = {}
            for pid, (ppid, _, _) in tab.items():
                kids.setdefault(ppid, []).append(pid)
            todo = list(kids.get(p.pid, []))
            if own is None and todo:
                own = todo[0]
            while todo:
                pid = todo.pop()
                todo.extend(kids.get(pid, []))
                e = seen.setdefault(pid, [tab[pid][1], 0, now, now, 0])
                e[0] = tab[pid][1]
                e[1] = max(e[1], hwm_kib(pid))
                e[3] = now
                e[4] = tab[pid][2]
            time.sleep(0.1)
        self.wall = time.monotonic() - t0
        t_out.join()
        t_err.join()
        self.rc = p.returncode
        # G_MESSAGES_DEBUG=all sends asr's g_debug lines, time-stamped, to
        # stderr: they become events (seconds from the start), the rest is
        # the command's own messages.
        self.stdout = stdout[0].decode(errors="replace") if stdout else ""
        lt = time.localtime(t0_wall)
        sod0 = lt.tm_hour * 3600 + lt.tm_min * 60 + lt.tm_sec + (t0_wall % 1)
        self.events, keep = [], []
        for t, line in self.lines:
            m = re.match(r"\*\* \(.*?\): DEBUG: (\d\d):(\d\d):(\d\d\.\d+): (.*)", line)
            if m:
                sod = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
                self.events.append((round((sod - sod0) % 86400, 3), m.group(4)))
            else:
                keep.append((t, line))
        self.lines = keep
        with open(self.timefile) as f:
            tv = f.read()
        os.unlink(self.timefile)
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", tv)
        self.tree_rss_kib = int(m.group(1)) if m else 0
        tick = os.sysconf("SC_CLK_TCK")
        m = re.search(r"User time \(seconds\): ([\d.]+)\s+System time \(seconds\): ([\d.]+)", tv)
        self.tree_cpu = float(m.group(1)) + float(m.group(2)) if m else 0.0
        self.own_rss_kib = seen[own][1] if own in seen else 0
        self.own_cpu = seen[own][4] / tick if own in seen else 0.0
        self.children = {}
        for pid, (comm, hwm, first, last, cpu) in seen.items():
            if pid == own:
                continue
            c = self.children.setdefault(comm, dict(rss_kib=0, first=first, last=last, n=0, cpu=0.0))
            c["cpu"] += cpu / tick
            c["rss_kib"] = max(c["rss_kib"], hwm)
            c["first"] = min(c["first"], first)
            c["last"] = max(c["last"], last)
            c["n"] += 1
        if self.rc != 0:
            tail = "\n".join(l for _, l in self.lines[-15:])
            raise RuntimeError(f"{label}: exit {self.rc}: {' '.join(self.argv)}\n{tail}")

    def _read_err(self, f, t0):
        for raw in f:
            self.lines.append((time.monotonic() - t0, raw.decode(errors="replace").rstrip()))


def rm(*paths):
    for p in paths:
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p)
        elif os.path.lexists(p):
            os.unlink(p)


def med(xs):
    return statistics.median(xs) if xs else None


# --------------------------------------------------------------------------
# The benchmarks

class Bench:
    def __init__(self, args):
        self.args = args
        self.asr = os.environ["ASR"]
        self.env = tcg_env()
        self.env["ASR_NO_PROGRESS"] = "1"
        self.dbg_env = dict(self.env, G_MESSAGES_DEBUG="all")
        self.results = {}   # workload -> measure -> list of Run
        self.facts = {}
        self.errors = []
        self.work = tempfile.mkdtemp(prefix="asr-bench-", dir=args.cache)

    def record(self, w, what, r):
        self.results.setdefault(w, {}).setdefault(what, []).append(r)
        log(f"  {w} {what}: {r.wall:.2f} s")

    def time(self, w, what, argv, env=None, **kw):
        r = Run(f"{w} {what}", argv, env=env or self.env, **kw)
        self.record(w, what, r)
        return r

    def capture(self, W, rep):
        w = W["name"]
        disk, parts = W["disk"], W["parts"]
        o = os.path.join(self.work, w)
        rm(o)
        os.makedirs(o)
        heavy = rep < self.args.heavy_reps

        if heavy and w == "W1":
            self.time(w, "guestfish launch", ["guestfish", "--ro", "--format=raw", "-a", disk, "run"])

        if heavy:
            backup = os.path.join(o, "backup")
            r = self.time(w, "asr capture", [self.asr, "capture", "--json", "--format", "raw",
                                             "-o", backup, disk], env=self.dbg_env)
            summary = json.loads(r.stdout)
            r.summary = summary
            r.image_files = {f: os.path.getsize(os.path.join(backup, f))
                             for f in os.listdir(backup)}
            r.image_alloc = sum(os.stat(os.path.join(backup, f)).st_blocks * 512
                                for f in os.listdir(backup) if f.endswith(".qcow2"))
            self.time(w, "asr check", [self.asr, "check", backup])
            root_img = os.path.join(backup, "disk0-p2.qcow2")
            self.time(w, "sha256sum image", ["sha256sum", root_img])
            keep = os.path.join(self.work, f"{w}-backup")
            rm(keep)
            os.rename(backup, keep)

        q = os.path.join(o, "q.qcow2")
        r = self.time(w, "qemu-img whole disk", ["qemu-img", "convert", "-f", "raw", "-O", "qcow2",
                                                 "-W", "-m", "16", disk, q])
        r.out_bytes = os.path.getsize(q)
        rm(q)

        # Both partition ranges asr captures, one after the other, as a user would.
        script = []
        for n in (1, 2):
            s, c = parts[n]
            script.append("qemu-img convert -O qcow2 -W -m 16 --image-opts "
                          f"driver=raw,offset={s * SECTOR},size={c * SECTOR},"
                          f"file.driver=file,file.filename={disk} {o}/p{n}.qcow2")
        r = self.time(w, "qemu-img partitions", ["sh", "-ec", " && ".join(script)])
        r.out_bytes = sum(os.path.getsize(f"{o}/p{n}.qcow2") for n in (1, 2))
        rm(f"{o}/p1.qcow2", f"{o}/p2.qcow2")

        pc = os.path.join(o, "root.pc")
        r = self.time(w, "partclone root", ["partclone.ext4", "-c", "-L", os.path.join(o, "pc.log"),
                                            "-s", W["root_part"], "-o", pc])
        r.out_bytes = os.path.getsize(pc)
        rm(pc)

        if heavy and w != "W2":
            # sha256sum reads the holes too: on W2 that is 31 GiB of zeroes
            # (about 2 minutes here) and says nothing W1 does not.
            self.time(w, "sha256sum root partition", ["sha256sum", W["root_part"]])

        if rep == 0 and not self.args.no_sparsify:
            # The slowest baseline (1.5-3 min a workload under TCG) and never
            # the best: once, to keep the whole run under 30 minutes.
            vs = os.path.join(o, "sparsify.qcow2")
            r = self.time(w, "virt-sparsify", ["virt-sparsify", "-q", "--format", "raw",
                                               "--convert", "qcow2", "--tmp", o, disk, vs])
            r.out_bytes = os.path.getsize(vs)
            rm(vs)
        rm(o)

    def restore(self, W, rep):
        """W4: W1's backup onto a blank target, raw and qcow2, asr against
        qemu-img convert -n --target-is-zero of the same images."""
        backup = os.path.join(self.work, "W1-backup")
        o = os.path.join(self.work, "W4")
        rm(o)
        os.makedirs(o)
        size = W["spec"]["disk"]
        imgs = backup_images(backup)
        w = "W4"

        # "loop": a block device (a loop device over a blank file, root only),
        # whose volume work is the host's tools', no appliance
        fmts = ("raw", "qcow2") + (("loop",) if os.geteuid() == 0 else ())
        for fmt in fmts:
            for verify in (True, False):
                if not verify and rep >= self.args.heavy_reps:
                    continue
                what = f"asr restore {fmt}" + ("" if verify else " --no-verify")
                loop = None
                if fmt in ("raw", "loop"):
                    t = os.path.join(o, "target.raw")
                    with open(t, "wb") as f:
                        f.truncate(size)
                    if fmt == "loop":
                        loop = out("losetup", "-f", "--show", t).strip()
                    argv = [self.asr, "restore", "--yes"] + ([] if verify else ["--no-verify"]) + \
                           [backup, loop or t]
                else:
                    t = os.path.join(o, "created")
                    os.makedirs(t)
                    argv = [self.asr, "restore", "--yes", "--create", t] + \
                           ([] if verify else ["--no-verify"]) + [backup]
                try:
                    self.time(w, what, argv, env=self.dbg_env)
                finally:
                    if loop:
                        sh("losetup", "-d", loop)
                rm(t)

            # Baseline: the same images written at the same offsets.
            t = os.path.join(o, f"base.{fmt}")
            loop = None
            if fmt == "loop":
                with open(t, "wb") as f:
                    f.truncate(size)
                loop = out("losetup", "-f", "--show", t).strip()
                file_opts = f"file.driver=host_device,file.filename={loop}"
            elif fmt == "raw":
                with open(t, "wb") as f:
                    f.truncate(size)
                file_opts = f"file.driver=file,file.filename={t}"
            else:
                sh("qemu-img", "create", "-q", "-f", "qcow2", t, size)
                file_opts = f"file.driver=qcow2,file.file.filename={t}"
            script = []
            for img, off, nbytes in imgs:
                script.append(f"qemu-img convert -n --target-is-zero -W -m 16 -f qcow2 {img} "
                              f"--target-image-opts driver=raw,offset={off},size={nbytes},{file_opts}")
            try:
                self.time(w, f"qemu-img restore {fmt}", ["sh", "-ec", " && ".join(script)])
            finally:
                if loop:
                    sh("losetup", "-d", loop)
            rm(t)
        rm(o)


def backup_images(backup):
    """[(image path, byte offset on the disk, bytes)] from machine.xml."""
    root = ET.parse(os.path.join(backup, "machine.xml")).getroot()
    res = []
    for d in root.findall("disk"):
        ba = d.find("boot-area")
        if ba is not None and ba.get("image"):
            res.append((os.path.join(backup, ba.get("image")), 0, int(ba.get("bytes"))))
        for p in d.iter("partition"):
            for v in p.findall("volume"):
                im = v.find("image")
                if im is not None:
                    res.append((os.path.join(backup, im.get("file")),
                                int(p.get("start")) * SECTOR, int(p.get("sectors")) * SECTOR))
    return res


# --------------------------------------------------------------------------
# Report

def fmt_s(x):
    return "–" if x is None else f"{x:.2f}"


def fmt_r(x):
    return "–" if x is None else f"{x:.2f}×"


def mib(x):
    return "–" if x is None else f"{x / MiB:,.0f}"


def report(b, ws):
    R = b.results
    L = []
    t = lambda w, k: med([r.wall for r in R.get(w, {}).get(k, [])])

    def runs(w, k):
        return R.get(w, {}).get(k, [])

    L.append("### Times (median seconds; n = repetitions)\n")
    L.append("| workload | measure | n | median s | min s | max s |")
    L.append("| --- | --- | ---: | ---: | ---: | ---: |")
    for w in R:
        for k, rs in R[w].items():
            ws_ = [r.wall for r in rs]
            L.append(f"| {w} | {k} | {len(ws_)} | {fmt_s(med(ws_))} | {fmt_s(min(ws_))} | {fmt_s(max(ws_))} |")

    L.append("\n### Capture: asr against the best baseline (same run, same files)\n")
    L.append("| workload | asr capture s | best baseline | its s | asr / best | goal ≤ 1.1× | asr / virt-sparsify | asr − launch, / best | asr appliance phase s | asr after the appliance s | qemu-img partitions + sha256sum image s | after the appliance / that |")
    L.append("| --- | ---: | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    launch = t("W1", "guestfish launch")
    figs = {}
    for w in ("W1", "W2", "W3"):
        a = t(w, "asr capture")
        if a is None:
            continue
        base = {k: t(w, k) for k in ("qemu-img whole disk", "qemu-img partitions",
                                     "partclone root", "virt-sparsify") if t(w, k) is not None}
        bk = min(base, key=base.get)
        ratio = a / base[bk]
        vs = t(w, "virt-sparsify")
        net = (a - launch) / base[bk] if launch else None
        figs[w] = dict(asr=a, best=bk, best_s=base[bk], ratio=ratio)
        # The appliance phase ends at the first qemu-img convert: after it
        # asr copies, checks and checksums, like qemu-img plus sha256sum.
        ap = med([x for x in map(first_convert, runs(w, "asr capture")) if x is not None])
        after = med([r.wall - first_convert(r) for r in runs(w, "asr capture") if first_convert(r)])
        qp, si = t(w, "qemu-img partitions"), t(w, "sha256sum image")
        qs = qp + si if qp and si else None
        L.append(f"| {w} | {fmt_s(a)} | {bk} | {fmt_s(base[bk])} | {fmt_r(ratio)} | "
                 f"{'met' if ratio <= 1.1 else f'missed by {ratio / 1.1:.1f}×'} | "
                 f"{fmt_r(a / vs if vs else None)} | {fmt_r(net)} | "
                 f"{fmt_s(ap)} | {fmt_s(after)} | {fmt_s(qs)} | {fmt_r(after / qs if after and qs else None)} |")

    L.append("\n### Image bytes against used bytes (MiB)\n")
    L.append("| workload | disk | files written | deleted, not trimmed | root fs used (dumpe2fs) | asr used_bytes | asr image_bytes | asr image files on disk | image / used | qemu-img whole disk | qemu-img partitions | virt-sparsify | partclone |")
    L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for w in ("W1", "W2", "W3"):
        if w not in ws or not runs(w, "asr capture"):
            continue
        W = ws[w]
        r = runs(w, "asr capture")[-1]
        s = r.summary
        ob = lambda k: runs(w, k)[-1].out_bytes if runs(w, k) else None
        L.append(f"| {w} | {mib(W['spec']['disk'])} | {mib(W['file_bytes'] + W['spec']['random'])} | "
                 f"{mib(W['spec']['junk'])} | {mib(W['root_used'])} | {mib(s.get('used_bytes'))} | "
                 f"{mib(s.get('image_bytes'))} | {mib(getattr(r, 'image_alloc', None))} | "
                 f"{s.get('image_bytes') / s.get('used_bytes'):.2f} | {mib(ob('qemu-img whole disk'))} | "
                 f"{mib(ob('qemu-img partitions'))} | {mib(ob('virt-sparsify'))} | {mib(ob('partclone root'))} |")

    if "W1" in ws and runs("W1", "asr capture"):
        W = ws["W1"]
        s = runs("W1", "asr capture")[-1].summary
        live = W["root_used"]
        L.append(f"\nW1 deleted data: {mib(W['spec']['junk'])} MiB written then deleted without trim; "
                 f"the root fs holds {mib(live)} MiB; asr's images total {mib(s['image_bytes'])} MiB "
                 f"against {mib(live + W['spec']['junk'])} MiB if the deleted blocks had been copied: "
                 + ("**not copied**." if s["image_bytes"] < live + W["spec"]["junk"] / 2 else "**copied**."))

    if "W1" in figs and "W2" in figs:
        s1 = runs("W1", "asr capture")[-1].summary
        s2 = runs("W2", "asr capture")[-1].summary
        L.append("\n### W2 against W1: does capture time follow used data or disk size?\n")
        L.append("| ratio W2 / W1 | value |")
        L.append("| --- | ---: |")
        L.append(f"| asr capture time | {fmt_r(figs['W2']['asr'] / figs['W1']['asr'])} |")
        aft = lambda w: med([r.wall - first_convert(r) for r in runs(w, "asr capture") if first_convert(r)])
        if aft("W1") and aft("W2"):
            L.append(f"| asr capture time after the appliance phase | {fmt_r(aft('W2') / aft('W1'))} |")
        L.append(f"| used bytes (asr used_bytes) | {fmt_r(s2['used_bytes'] / s1['used_bytes'])} |")
        L.append(f"| disk size | {fmt_r(ws['W2']['spec']['disk'] / ws['W1']['spec']['disk'])} |")
        ub = min(v for v in (t("W2", "qemu-img partitions"), t("W2", "partclone root")) if v)
        r2 = figs["W2"]["asr"] / ub
        L.append(f"\nW2 goal (≤ 1.2× the time of copying its used data, best of qemu-img partitions and "
                 f"partclone = {ub:.2f} s): asr {figs['W2']['asr']:.2f} s = {r2:.2f}× — "
                 + ("met." if r2 <= 1.2 else f"missed by {r2 / 1.2:.1f}×."))

    # The goals of capture without the appliance: against copying the
    # partition ranges and checksumming the images, and time following
    # used data.
    goal = []
    for w in ("W1", "W2"):
        a, qp, si = t(w, "asr capture"), t(w, "qemu-img partitions"), t(w, "sha256sum image")
        if a and qp and si:
            r_ = a / (qp + si)
            goal.append(f"| {w} capture / (qemu-img partitions + sha256sum image) | {a:.2f} s / "
                        f"{qp + si:.2f} s = {r_:.2f}× | ≤ 1.5× | {'met' if r_ <= 1.5 else 'missed'} |")
    if "W1" in figs and "W2" in figs:
        s1 = runs("W1", "asr capture")[-1].summary
        s2 = runs("W2", "asr capture")[-1].summary
        tr = figs["W2"]["asr"] / figs["W1"]["asr"]
        ur = s2["used_bytes"] / s1["used_bytes"]
        q = max(tr / ur, ur / tr)
        goal.append(f"| W2/W1 capture time against W2/W1 used bytes | {tr:.2f} against {ur:.2f}: "
                    f"{q:.2f}× apart | within 1.2× | {'met' if q <= 1.2 else 'missed'} |")
    if goal:
        L.append("\n### Capture without the appliance: goals\n")
        L.append("| measure | value | goal | |")
        L.append("| --- | --- | --- | --- |")
        L.extend(goal)

    L.append("\n### Checksum cost\n")
    L.append("| workload | asr check s | sha256sum of the image file s | sha256sum of the root partition s | asr check / sha256sum partition | asr capture s | capture without check (est.) s | capture with / without |")
    L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for w in ("W1", "W2", "W3"):
        c, si, sp, a = (t(w, "asr check"), t(w, "sha256sum image"),
                        t(w, "sha256sum root partition"), t(w, "asr capture"))
        if c is None:
            continue
        ck = [checksum_span(r) for r in runs(w, "asr capture")]
        ck = med([x for x in ck if x is not None])
        est = a - ck if ck is not None else None
        L.append(f"| {w} | {fmt_s(c)} | {fmt_s(si)} | {fmt_s(sp)} | {fmt_r(c / sp if sp else None)} | {fmt_s(a)} | "
                 f"{fmt_s(est)} | {fmt_r(a / est if est else None)} |")
    L.append("\n\"capture without check\" subtracts the time qemu-nbd children ran during capture "
             "(the checksum reads), measured from /proc.")

    if R.get("W4"):
        L.append("\n### Restore (W4: W1's backup onto a blank target)\n")
        L.append("asr restore writes the table and the volumes, verifies them (read back and "
                 "checksum), then starts the appliance (ESP and boot entries, swap, uncaptured "
                 "volumes).  \"before the appliance\" is the time until asr starts it, from its "
                 "debug log; verification is that span with verification minus without.  "
                 "\"loop\" is a loop device over a blank file (root only): a block device, whose "
                 "volume work is the host's tools', no appliance (goal ≤ 1.3×).\n")
        L.append("| target | asr restore s | of which before the appliance s | asr --no-verify s | of which before the appliance s | read-back verification s | qemu-img convert -n --target-is-zero s | asr / qemu-img | goal | asr before the appliance, --no-verify / qemu-img |")
        L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |")
        for fmt in ("raw", "qcow2", "loop"):
            a, nv, q = (t("W4", f"asr restore {fmt}"), t("W4", f"asr restore {fmt} --no-verify"),
                        t("W4", f"qemu-img restore {fmt}"))
            if a is None:
                continue
            # a block device: no appliance, so the goal is the copy's time
            goal = 1.3 if fmt == "loop" else 1.1
            pa = med([x for x in map(appliance_start, runs("W4", f"asr restore {fmt}")) if x is not None])
            pn = med([x for x in map(appliance_start, runs("W4", f"asr restore {fmt} --no-verify"))
                      if x is not None])
            ratio = a / q
            L.append(f"| {fmt} | {fmt_s(a)} | {fmt_s(pa)} | {fmt_s(nv)} | {fmt_s(pn)} | "
                     f"{fmt_s(pa - pn if pa is not None and pn is not None else None)} | {fmt_s(q)} | "
                     f"{fmt_r(ratio)} | {f'≤ {goal}× met' if ratio <= goal else f'≤ {goal}×: missed by {ratio / goal:.1f}×'} | "
                     f"{fmt_r(pn / q if pn is not None else None)} |")

    if b.errors:
        L.append("\n### Failures in this run\n")
        L += [f"- {e}" for e in b.errors]

    L.append("\n### Peak RSS (MiB, max over repetitions)\n")
    L.append("| workload | measure | asr itself | whole tree (/usr/bin/time -v) | largest child | goal: asr ≤ 256 MiB |")
    L.append("| --- | --- | ---: | ---: | --- | --- |")
    for w in R:
        for k, rs in R[w].items():
            if not k.startswith("asr"):
                continue
            own = max(r.own_rss_kib for r in rs) * 1024
            tree = max(r.tree_rss_kib for r in rs) * 1024
            kids = {}
            for r in rs:
                for comm, c in r.children.items():
                    kids[comm] = max(kids.get(comm, 0), c["rss_kib"] * 1024)
            big = sorted(kids.items(), key=lambda kv: -kv[1])[:3]
            L.append(f"| {w} | {k} | {mib(own)} | {mib(tree)} | "
                     + ", ".join(f"{c} {mib(v)}" for c, v in big) + f" | {'met' if own <= 256 * MiB else 'MISSED'} |")

    L.append("\n### Where asr's time goes (median run)\n")
    L.append("From asr's own debug log (`G_MESSAGES_DEBUG=all`, time-stamped) and from /proc polling "
             "(when each kind of child process ran, 0.1 s resolution).\n")
    L.append("| workload | measure | total s | start → first qemu-img convert s | first convert → exit s | qemu-nbd span s | CPU s: whole tree / asr itself / appliance qemu | children: first–last seen s |")
    L.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for w in R:
        for k, rs in R[w].items():
            if not k.startswith("asr"):
                continue
            r = sorted(rs, key=lambda r: r.wall)[len(rs) // 2]
            fc = first_convert(r)
            parts = ", ".join(f"{c} ×{v['n']}: {v['first']:.1f}–{v['last']:.1f}"
                              for c, v in sorted(r.children.items(), key=lambda kv: kv[1]["first"])
                              if c not in ("sh", "time"))
            qs = r.children.get("qemu-system-x86", {}).get("cpu")
            L.append(f"| {w} | {k} | {r.wall:.2f} | {fmt_s(fc)} | {fmt_s(r.wall - fc if fc else None)} | "
                     f"{fmt_s(checksum_span(r))} | {fmt_s(getattr(r, 'tree_cpu', None))} / {fmt_s(getattr(r, 'own_cpu', None))} / {fmt_s(qs)} | {parts} |")
    return "\n".join(L) + "\n"


def appliance_start(r):
    """When asr started its appliance: the accelerator message comes first."""
    for t, msg in r.events:
        if re.search(r"using (tcg|kvm)\b", msg):
            return t
    return None


def first_convert(r):
    for t, msg in r.events:
        if msg.startswith("running: qemu-img convert"):
            return t
    return None


def checksum_span(r):
    c = r.children.get("qemu-nbd")
    return c["last"] - c["first"] if c else None


def machine_facts():
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) * 1024
    ver = lambda *a: (subprocess.run(a, capture_output=True, text=True).stdout.splitlines() or [""])[0]
    pc = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "partclone"], capture_output=True,
                        text=True).stdout
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "host": platform.node(),
        "kernel": platform.release(),
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "memory": f"{mem / GiB:.0f} GiB",
        "load at start": open("/proc/loadavg").read().split()[:3],
        "kvm": "no (TCG)" if tcg_env().get("LIBGUESTFS_BACKEND_SETTINGS") == "force_tcg" else "yes",
        "qemu-img": ver("qemu-img", "--version"),
        "libguestfs": ver("guestfish", "--version"),
        "virt-sparsify": ver("virt-sparsify", "--version"),
        "partclone": f"partclone (Debian package) {pc}",
        "asr": ver(os.environ["ASR"], "--version"),
    }


class Loaded:
    def __init__(self, d):
        self.__dict__.update(d)
        self.lines = d.get("stderr", [])
        self.events = [tuple(e) for e in d.get("events", [])]


def report_from(path):
    with open(path) as f:
        d = json.load(f)
    b = argparse.Namespace(errors=d.get("errors", []),
                           results={w: {k: [Loaded(r) for r in rs] for k, rs in v.items()}
                                    for w, v in d["runs"].items()})
    facts = d["facts"]
    head = ["## Run", "", "| | |", "| --- | --- |"]
    head += [f"| {k} | {v} |" for k, v in facts.items()]
    if "args" in d:
        head += [f"| command | `bench/run {' '.join(d['args'])}` |",
                 f"| wall time of the whole run | {d['total'] / 60:.1f} min |"]
    print("\n".join(head) + "\n\n" + report(b, d["workloads"]))


def main():
    ap = argparse.ArgumentParser(description="asr benchmarks against the tools users would pick instead; see docs/performance.md")
    ap.add_argument("--quick", action="store_true", help="small W1/W2/W3 (2/8/1 GiB)")
    ap.add_argument("--reps", type=int, default=3, help="repetitions of the cheap measures")
    ap.add_argument("--heavy-reps", type=int, default=None,
                    help="repetitions of those that start an appliance or read a whole volume "
                    "(default: 2, at most --reps)")
    ap.add_argument("--only", default="W1,W2,W3,W4")
    ap.add_argument("--no-sparsify", action="store_true",
                    help="leave out virt-sparsify (2-7 minutes a workload, never the best)")
    ap.add_argument("--json", help="write every run here")
    ap.add_argument("--markdown", help="write the tables here")
    ap.add_argument("--cache", default=os.environ.get("ASR_BENCH_CACHE", "/var/tmp/asr-bench"))
    ap.add_argument("--report-from", metavar="JSON", help="print the tables of an earlier run's --json")
    args = ap.parse_args()
    if args.report_from:
        return report_from(args.report_from)
    if args.heavy_reps is None:
        args.heavy_reps = min(2, args.reps)
    os.makedirs(args.cache, exist_ok=True)
    only = args.only.split(",")
    specs = WORKLOADS_QUICK if args.quick else WORKLOADS_FULL
    t0 = time.monotonic()
    facts = machine_facts()
    for k, v in facts.items():
        log(f"{k}: {v}")

    ws = {}
    for w in ("W1", "W2", "W3"):
        if w in only or (w == "W1" and "W4" in only):
            ws[w] = workload(os.path.join(args.cache, "quick" if args.quick else "full"), w, specs[w])
    log(f"workloads ready after {time.monotonic() - t0:.0f} s")

    b = Bench(args)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    try:
        for rep in range(args.reps):
            log(f"repetition {rep + 1}/{args.reps}")
            for w in ("W1", "W2", "W3"):
                if w in only or (w == "W1" and "W4" in only and rep < args.heavy_reps):
                    try:
                        b.capture(ws[w], rep)
                    except Exception as e:      # report it, keep the rest of the run
                        b.errors.append(f"{w} repetition {rep + 1}: {e}")
                        log(f"FAILED: {b.errors[-1]}")
            if "W4" in only and rep < args.heavy_reps:
                asr_restore_works = subprocess.run([b.asr, "help", "restore"], capture_output=True).returncode == 0
                if asr_restore_works:
                    try:
                        b.restore(ws["W1"], rep)
                    except Exception as e:
                        b.errors.append(f"W4 repetition {rep + 1}: {e}")
                        log(f"FAILED: {b.errors[-1]}")
                else:
                    log("W4: asr help restore fails: restore not measured")
    finally:
        shutil.rmtree(b.work, ignore_errors=True)

    if args.json:
        dump = {"facts": facts, "errors": b.errors, "args": sys.argv[1:], "total": time.monotonic() - t0, "workloads": {k: {kk: vv for kk, vv in v.items()} for k, v in ws.items()},
                "runs": {w: {k: [dict(wall=r.wall, tree_cpu=r.tree_cpu, own_cpu=r.own_cpu, own_rss_kib=r.own_rss_kib, tree_rss_kib=r.tree_rss_kib,
                                      children=r.children, summary=getattr(r, "summary", None),
                                      out_bytes=getattr(r, "out_bytes", None),
                                      image_alloc=getattr(r, "image_alloc", None),
                                      stderr=r.lines, events=r.events)
                                 for r in rs] for k, rs in v.items()} for w, v in b.results.items()}}
        with open(args.json, "w") as f:
            json.dump(dump, f, indent=1, default=str)

    md = report(b, ws)
    total = time.monotonic() - t0
    head = ["## Run", "", "| | |", "| --- | --- |"]
    head += [f"| {k} | {v} |" for k, v in facts.items()]
    head += [f"| command | `bench/run {' '.join(sys.argv[1:])}` |",
             f"| workloads | {'quick (small)' if args.quick else 'full'}; cache {args.cache} |",
             f"| wall time of the whole run | {total / 60:.1f} min |", ""]
    text = "\n".join(head) + "\n" + md
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
