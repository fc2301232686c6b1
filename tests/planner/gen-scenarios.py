#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Writes the inputs of tests/planner/scenarios/*: source.xml, target*.xml,
# args, images.  Edit here, run it, then REGENERATE_OUTPUT=1 meson test
# planner and review the diff of the expected files.
import os, copy, shutil
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'scenarios')
GiB = 1 << 30
SUM = lambda c: 'asr-sha256-64k:' + (c * 64)

def hw(fw='bios', arch='x86_64', vendor='QEMU', product='Standard PC (i440FX + PIIX, 1996)',
       cpu=('GenuineIntel', 'Intel Xeon Processor (Skylake)'), mem=2147483648,
       storage=(('0000:00:01.1', '0x8086', '0x7010', 'ata_piix'), ('0000:00:04.0', '0x1af4', '0x1001', 'virtio_blk'))):
    return dict(fw=fw, arch=arch, vendor=vendor, product=product, cpu=cpu, mem=mem, storage=list(storage))

def hw_xml(h):
    if h is None:
        return ''
    out = ['  <hardware>']
    if h['arch']: out.append(f'    <architecture>{h["arch"]}</architecture>')
    if h['fw']: out.append(f'    <firmware type="{h["fw"]}"/>')
    if h['vendor']: out.append(f'    <system vendor="{h["vendor"]}" product="{h["product"]}"/>')
    if h['cpu']: out.append(f'    <cpu vendor="{h["cpu"][0]}" model="{h["cpu"][1]}" count="2"/>')
    if h['mem']: out.append(f'    <memory bytes="{h["mem"]}"/>')
    for (addr, v, d, drv) in h['storage']:
        out.append(f'    <controller class="storage" bus="pci" address="{addr}" vendor-id="{v}" device-id="{d}" driver="{drv}"/>')
    out.append('    <controller class="network" bus="pci" address="0000:00:03.0" vendor-id="0x1af4" device-id="0x1000" driver="virtio_net" mac="52:54:00:12:34:56"/>')
    out.append('    <controller class="video" bus="pci" address="0000:00:02.0" vendor-id="0x1234" device-id="0x1111" driver="bochs-drm"/>')
    out.append('  </hardware>')
    return '\n'.join(out) + '\n'

def disk(id, bytes, critical=None, boot=None, sector=512, bus='virtio', serial=None, wwn=None,
         ptable=None, ident=None, parts=(), bootarea=None, by_id=(), in_use=(), incomplete=False, model=None):
    return dict(id=id, bytes=bytes, critical=critical, boot=boot, sector=sector, bus=bus, serial=serial, wwn=wwn,
                ptable=ptable, ident=ident, parts=list(parts), bootarea=bootarea, by_id=list(by_id),
                in_use=list(in_use), incomplete=incomplete, model=model)

def part(num, start, sectors, type, fs=None, uuid=None, label=None, mp=None, critical=None, image=None,
         kind='primary', guid=None, name=None, bootable=None):
    return dict(num=num, start=start, sectors=sectors, type=type, fs=fs, uuid=uuid, label=label, mp=mp,
                critical=critical, image=image, kind=kind, guid=guid, name=name, bootable=bootable)

def disk_xml(d, gpt_kind=False):
    a = [f'id="{d["id"]}"']
    if d['critical'] is not None: a.append(f'critical="{d["critical"]}"')
    if d['boot'] is not None: a.append(f'boot="{d["boot"]}"')
    if d['bytes'] is not None: a.append(f'bytes="{d["bytes"]}"')
    if d['sector']: a.append(f'logical-sector="{d["sector"]}" physical-sector="{d["sector"]}"')
    if d['bus']: a.append(f'bus="{d["bus"]}"')
    if d['model']: a.append(f'model="{d["model"]}"')
    if d['serial']: a.append(f'serial="{d["serial"]}"')
    if d['wwn']: a.append(f'wwn="{d["wwn"]}"')
    inner = []
    for b in d['by_id']: inner.append(f'    <by-id>{b}</by-id>')
    for (r, det) in d['in_use']: inner.append(f'    <in-use reason="{r}" detail="{det}"/>')
    if d['incomplete']: inner.append('    <incomplete/>')
    if d['ptable'] == 'mbr': inner.append(f'    <partition-table type="mbr" signature="{d["ident"]}"/>')
    if d['ptable'] == 'gpt': inner.append(f'    <partition-table type="gpt" guid="{d["ident"]}"/>')
    if d['bootarea']:
        inner.append(f'    <boot-area bytes="1048576" image="{d["bootarea"]}" checksum="{SUM("b")}"/>')
    for p in d['parts']:
        pa = [f'number="{p["num"]}"']
        if d['ptable'] == 'mbr': pa.append(f'kind="{p["kind"]}"')
        pa += [f'start="{p["start"]}"', f'sectors="{p["sectors"]}"', f'type="{p["type"]}"']
        if d['ptable'] == 'gpt':
            pa += [f'guid="{p["guid"]}"', f'name="{p["name"] or "part"}"', 'attributes="0x0"']
        if d['ptable'] == 'mbr': pa.append(f'bootable="{p["bootable"] or "no"}"')
        if p['fs'] is None and p['image'] is None:
            inner.append(f'    <partition {" ".join(pa)}/>')
            continue
        va = []
        if p['fs']: va.append(f'fs="{p["fs"]}"')
        if p['uuid']: va.append(f'uuid="{p["uuid"]}"')
        if p['label'] is not None: va.append(f'label="{p["label"]}"')
        if p['mp']: va.append(f'mountpoint="{p["mp"]}"')
        if p['critical']: va.append(f'critical="{p["critical"]}"')
        inner.append(f'    <partition {" ".join(pa)}>')
        if p['image']:
            inner.append(f'      <volume {" ".join(va)}>')
            inner.append(f'        <image file="{p["image"]}" format="qcow2" bytes="{p["sectors"] * d["sector"]}" checksum="{SUM("a")}"/>')
            inner.append('      </volume>')
        else:
            inner.append(f'      <volume {" ".join(va)}/>')
        inner.append('    </partition>')
    if inner:
        return f'  <disk {" ".join(a)}>\n' + '\n'.join(inner) + '\n  </disk>\n'
    return f'  <disk {" ".join(a)}/>\n'

def machine_xml(disks, h, os=True, sources=None, captured='2026-11-25T15:00:00Z'):
    out = '<?xml version="1.0" encoding="UTF-8"?>\n<machine version="1">\n'
    out += f'  <origin captured="{captured}" tool="asr 0.1.0">\n'
    for d in disks:
        path = (sources or {}).get(d['id'], f'{d["id"]}.raw')
        fmt = '' if path.startswith('/dev/') else ' format="raw"'
        out += f'    <source disk="{d["id"]}" path="{path}"{fmt}/>\n'
    out += '  </origin>\n'
    if os:
        out += '  <os name="debian" version="12" hostname="web1"/>\n'
    out += hw_xml(h)
    for d in disks:
        out += disk_xml(d)
    return out + '</machine>\n'

# --- the base backup -------------------------------------------------------
SIG0, SIG1 = '0x1234abcd', '0x5678ef01'
GUID1 = '5e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b'
def sys_disk(id='disk0', bytes=10 * GiB, sig=SIG0, serial='web1-sys', bus='virtio', sector=512, images=True, prefix=None):
    pre = prefix or id
    if sector == 4096:
        parts = [part(1, 256, 76800, '0x83', 'ext4', '0b5a4c3e-8f3d-4c39-9d61-0c1f9b2f6a11', 'boot', '/boot', 'yes',
                      f'{pre}-p1.qcow2' if images else None, bootable='yes'),
                 part(2, 77056, 2097152, '0x83', 'ext4', '6f1c2b8e-51a7-4c0e-a3d2-9e8b7c6d5e4f', '', '/', 'yes',
                      f'{pre}-p2.qcow2' if images else None)]
    else:
        parts = [part(1, 2048, 614400, '0x83', 'ext4', '0b5a4c3e-8f3d-4c39-9d61-0c1f9b2f6a11', 'boot', '/boot', 'yes',
                      f'{pre}-p1.qcow2' if images else None, bootable='yes'),
                 part(2, 616448, 16777216, '0x83', 'ext4', '6f1c2b8e-51a7-4c0e-a3d2-9e8b7c6d5e4f', '', '/', 'yes',
                      f'{pre}-p2.qcow2' if images else None),
                 part(3, 17393664, 2097152, '0x82', 'swap', '1d2e3f40-5a6b-4c7d-8e9f-a0b1c2d3e4f5', None, None, 'no')]
    return disk(id, bytes, critical='yes', boot='yes', sector=sector, bus=bus, serial=serial, ptable='mbr', ident=sig,
                parts=parts, bootarea=f'{pre}-bootarea.qcow2' if images else None)

def var_disk(id='disk1', bytes=20 * GiB, sig=SIG1, serial='web1-var'):
    return disk(id, bytes, critical='yes', boot='no', serial=serial, ptable='mbr', ident=sig,
                parts=[part(1, 2048, bytes // 512 - 2048, '0x83', 'ext4', '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', 'var', '/var', 'yes',
                            f'{id}-p1.qcow2')])

def data_disk(id='disk1', bytes=20 * GiB, guid=GUID1, serial='web1-data', wwn=None):
    return disk(id, bytes, critical='no', boot='no', serial=serial, wwn=wwn, ptable='gpt', ident=guid,
                parts=[part(1, 2048, 41938944, '0FC63DAF-8483-4772-8E79-3D69D8477DE4', 'xfs',
                            'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d', 'data', '/srv', 'no',
                            guid='8c2d3e4f-5a6b-4c7d-9e8f-a0b1c2d3e4f5', name='data')])

def blank(id, bytes, sector=512, serial=None, bus='virtio', **kw):
    return disk(id, bytes, sector=sector, bus=bus, serial=serial, **kw)

def as_target(d):
    """The disk as probe would describe it: layout, no images, no critical flags."""
    t = copy.deepcopy(d)
    t['critical'] = None; t['boot'] = None; t['bootarea'] = None
    for p in t['parts']:
        p['image'] = None; p['critical'] = None
    return t

SOURCE = [sys_disk(), data_disk()]
HW = hw()

scenarios = {}
def sc(name, source, target, args='', images=None, src_hw=HW, tgt_hw=HW, extra_targets=None, tgt_sources=None):
    scenarios[name] = (source, target, args, images, src_hw, tgt_hw, extra_targets, tgt_sources)

VD = {'disk0': '/dev/vda', 'disk1': '/dev/vdb', 'disk2': '/dev/vdc', 'disk3': '/dev/vdd'}

sc('identical-target', SOURCE, [as_target(SOURCE[0]), as_target(SOURCE[1])])
sc('larger-disks', SOURCE, [blank('disk0', 20 * GiB), blank('disk1', 40 * GiB)])
sc('too-small-by-one-byte', SOURCE, [blank('disk0', 10 * GiB - 1)])
sc('exactly-the-same-size', SOURCE, [blank('disk0', 10 * GiB)])
sc('fewer-disks', [sys_disk(), var_disk()], [blank('disk0', 40 * GiB)])
sc('extra-disks', SOURCE, [blank('disk0', 10 * GiB), blank('disk1', 10 * GiB), blank('disk2', 50 * GiB), blank('disk3', 12 * GiB)])
sc('disks-in-another-order', [sys_disk(), var_disk(bytes=10 * GiB)],
   [as_target(var_disk('disk0', bytes=10 * GiB)), as_target(sys_disk('disk1'))])
sc('noncritical-signature-only-large-disk', SOURCE,
   [blank('disk0', 5 * GiB), as_target(data_disk('disk1'))])
sc('noncritical-signature-kept', SOURCE,
   [as_target(data_disk('disk0')), blank('disk1', 12 * GiB)])
sc('greedy-first-fit-fails', [sys_disk(bytes=10 * GiB, serial=None), var_disk(bytes=20 * GiB, serial=None)],
   [blank('disk0', 20 * GiB), blank('disk1', 10 * GiB)])
sc('target-4kn', SOURCE, [blank('disk0', 20 * GiB, sector=4096)])
sc('4kn-source-to-512-target', [sys_disk(sector=4096)], [blank('disk0', 20 * GiB)])
sc('4kn-source-to-4kn-target', [sys_disk(sector=4096)], [blank('disk0', 20 * GiB, sector=4096)])
sc('map-4kn-target', SOURCE, [blank('disk0', 20 * GiB, sector=4096), blank('disk1', 20 * GiB)], args='--map disk0=disk0')
sc('bios-backup-to-uefi-target', SOURCE, [blank('disk0', 20 * GiB)], tgt_hw=hw(fw='uefi'))
sc('bios-backup-to-uefi-target-migrate', SOURCE, [blank('disk0', 20 * GiB)], tgt_hw=hw(fw='uefi'), args='--mode migrate')
sc('architecture-differs', SOURCE, [blank('disk0', 20 * GiB)], tgt_hw=hw(arch='aarch64'), args='--mode migrate')
OTHER_CPU = ('AuthenticAMD', 'AMD EPYC-Rome Processor')
sc('cpu-differs-strict', SOURCE, [blank('disk0', 20 * GiB)], tgt_hw=hw(cpu=OTHER_CPU))
sc('cpu-differs-migrate', SOURCE, [blank('disk0', 20 * GiB)], tgt_hw=hw(cpu=OTHER_CPU), args='--mode migrate')
sc('memory-smaller-strict', SOURCE, [blank('disk0', 20 * GiB)], tgt_hw=hw(mem=1073741824))
sc('memory-larger', SOURCE, [blank('disk0', 20 * GiB)], tgt_hw=hw(mem=8589934592))
OTHER_STORAGE = (('0000:00:1f.2', '0x8086', '0x2922', 'ahci'),)
sc('storage-controller-differs-strict', SOURCE, [blank('disk0', 20 * GiB, bus='sata')], tgt_hw=hw(storage=OTHER_STORAGE))
sc('storage-controller-differs-migrate', SOURCE, [blank('disk0', 20 * GiB, bus='sata')], tgt_hw=hw(storage=OTHER_STORAGE), args='--mode migrate')
sc('system-differs-migrate', SOURCE, [blank('disk0', 20 * GiB)],
   tgt_hw=hw(vendor='Dell Inc.', product='PowerEdge R650', storage=OTHER_STORAGE, cpu=OTHER_CPU), args='--mode migrate')
sc('mounted-target-disk', SOURCE,
   [blank('disk0', 20 * GiB, in_use=[('mounted', '/ on /dev/vda2'), ('running-system', 'the system running asr boots from this disk')]),
    blank('disk1', 20 * GiB)])
sc('mounted-only-disk', SOURCE, [blank('disk0', 20 * GiB, in_use=[('swap', '/dev/vda3')])])
sc('held-disk-mapped', SOURCE, [blank('disk0', 20 * GiB, in_use=[('held', 'md127')]), blank('disk1', 20 * GiB)],
   args='--map disk0=disk0')
sc('map-to-too-small-disk', SOURCE, [blank('disk0', 8 * GiB), blank('disk1', 20 * GiB)], args='--map disk0=disk0')
sc('map-to-larger-disk', SOURCE, [blank('disk0', 10 * GiB), blank('disk1', 20 * GiB)], args='--map disk0=disk1')
sc('map-duplicate-source', SOURCE, [blank('disk0', 20 * GiB), blank('disk1', 20 * GiB)], args='--map disk0=disk0 --map disk0=disk1')
sc('map-duplicate-target', [sys_disk(), var_disk()], [blank('disk0', 40 * GiB, serial='S1'), blank('disk1', 40 * GiB)],
   args='--map disk0=disk0 --map disk1=S1')
sc('map-unknown-source', SOURCE, [blank('disk0', 20 * GiB)], args='--map disk7=disk0')
sc('map-noncritical-source', SOURCE, [blank('disk0', 20 * GiB), blank('disk1', 20 * GiB)], args='--map disk1=disk1')
sc('map-unknown-target', SOURCE, [blank('disk0', 20 * GiB)], args='--map disk0=/dev/sdz')
sc('map-ambiguous-target', SOURCE, [blank('disk0', 20 * GiB, serial='disk1'), blank('disk1', 20 * GiB)], args='--map disk0=disk1')
sc('map-by-serial', SOURCE, [blank('disk0', 10 * GiB, serial='S-AAA'), blank('disk1', 20 * GiB, serial='S-BBB')], args='--map disk0=s-bbb')
sc('map-by-id-and-path', SOURCE,
   [blank('disk0', 10 * GiB, by_id=['virtio-aaa']), blank('disk1', 20 * GiB, by_id=['virtio-bbb'], wwn='0x5000c500a1b2c3d4')],
   args='--map disk0=/dev/disk/by-id/virtio-bbb', tgt_sources=VD)
sc('map-by-path', SOURCE, [blank('disk0', 10 * GiB), blank('disk1', 20 * GiB)], args='--map disk0=/dev/vdb', tgt_sources=VD)
sc('map-to-protected-disk', SOURCE, [blank('disk0', 20 * GiB), as_target(data_disk('disk1'))], args='--map disk0=disk1')
sc('empty-target', SOURCE, [])
sc('unknown-hardware-backup', SOURCE, [blank('disk0', 20 * GiB)], src_hw=None)
sc('unknown-hardware-target', SOURCE, [blank('disk0', 20 * GiB)], tgt_hw=None)
sc('unknown-facts-both-sides', SOURCE, [blank('disk0', 20 * GiB, sector=None, bus=None)],
   src_hw=hw(fw=None, arch=None, vendor=None, cpu=None, mem=None, storage=()), tgt_hw=None)
sc('images-missing', SOURCE, [blank('disk0', 20 * GiB)], images='missing disk0-p2.qcow2\n')
sc('images-size-mismatch', SOURCE, [blank('disk0', 20 * GiB)], images='size disk0-p1.qcow2 314572801\n')
sc('images-not-qcow2', SOURCE, [blank('disk0', 20 * GiB)], images='garbage disk0-bootarea.qcow2\n')
sc('images-checksums-verified', SOURCE, [blank('disk0', 20 * GiB)], args='--check-images')
sc('images-checksum-mismatch', SOURCE, [blank('disk0', 20 * GiB)], args='--check-images', images='corrupt disk0-p2.qcow2 8589934592\n')
sc('backup-is-descriptor-file', SOURCE, [blank('disk0', 20 * GiB)], args='--descriptor-backup')
UEFI_SRC = [disk('disk0', 10 * GiB, critical='yes', boot='yes', serial='web1-sys', ptable='gpt',
                 ident='01234567-89ab-4cde-8f01-23456789abcd', parts=[
    part(1, 2048, 1048576, 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B', 'vfat', '7E3A-91C4', '', '/boot/efi', 'yes',
         'disk0-p1.qcow2', guid='fedcba98-7654-4321-8fed-cba987654321', name='EFI System Partition'),
    part(2, 1050624, 16777216, '4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709', 'ext4', '12345678-9abc-4def-8123-456789abcdef',
         '', '/', 'yes', 'disk0-p2.qcow2', guid='56473829-1029-4384-a756-b6c7d8e9f0a1', name='root'),
    part(3, 17827840, 2097152, '933AC7E1-2EB4-4F13-B844-0E14E2AEF915', 'ext4', '22345678-9abc-4def-8123-456789abcdef',
         'home', '/home', 'no', None, guid='66473829-1029-4384-a756-b6c7d8e9f0a1', name='home')])]
sc('uefi-backup-to-uefi-target', UEFI_SRC, [blank('disk0', 20 * GiB)], src_hw=hw(fw='uefi'), tgt_hw=hw(fw='uefi'))
sc('uncaptured-volume-on-critical-disk', UEFI_SRC, [as_target(UEFI_SRC[0])], src_hw=hw(fw='uefi'), tgt_hw=hw(fw='uefi'))
sc('bus-change', [sys_disk(bus='sata')], [blank('disk0', 20 * GiB, bus='virtio')])
sc('signature-match-preferred-over-size', [sys_disk()],
   [blank('disk0', 10 * GiB), as_target(sys_disk('disk1', bytes=30 * GiB))])
sc('serial-match-preferred-over-size', [sys_disk(serial='SER-0001')],
   [blank('disk0', 10 * GiB, serial='SER-9999'), blank('disk1', 30 * GiB, serial='ser-0001')])
sc('identity-match-dropped-to-map-all', [sys_disk(bytes=10 * GiB, serial=None), var_disk(bytes=20 * GiB, serial=None)],
   [as_target(sys_disk('disk0', bytes=20 * GiB, serial=None)), blank('disk1', 10 * GiB)])
sc('incomplete-target-disk', SOURCE, [blank('disk0', 20 * GiB, incomplete=True, ptable='gpt', ident='aabbccdd-eeff-4011-8223-344556677889')])
sc('unknown-sector-size-target', SOURCE, [blank('disk0', 20 * GiB, sector=None)])
sc('wwn-protects-noncritical-disk', [sys_disk(), data_disk(wwn='0x5000c500deadbeef')],
   [blank('disk0', 30 * GiB, wwn='0x5000C500DEADBEEF'), blank('disk1', 12 * GiB)])
sc('target-size-unknown', SOURCE, [blank('disk0', None), blank('disk1', 11 * GiB)])
sc('no-critical-disk', [data_disk('disk0')], [blank('disk0', 20 * GiB)])
sc('multiple-targets', [sys_disk(), var_disk()], [blank('disk0', 40 * GiB)],
   extra_targets=[(None, [blank('disk0', 30 * GiB)])])
sc('multiple-targets-with-hardware', SOURCE, [blank('disk0', 40 * GiB)], extra_targets=[(HW, [blank('disk0', 30 * GiB)])])

for name, (source, target, args, images, src_hw, tgt_hw, extra, tsrc) in scenarios.items():
    d = os.path.join(ROOT, name)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if f.startswith('target') or f in ('args', 'images'):
            os.unlink(os.path.join(d, f))
    open(os.path.join(d, 'source.xml'), 'w').write(machine_xml(source, src_hw))
    tname = 'target.xml' if not extra else 'target1.xml'
    if not target:
        open(os.path.join(d, 'target-empty'), 'w').write('')
        continue
    open(os.path.join(d, tname), 'w').write(machine_xml(target, tgt_hw, os=False, sources=tsrc or VD, captured='2026-11-27T09:00:00Z'))
    for i, (h, disks) in enumerate(extra or []):
        open(os.path.join(d, f'target{i + 2}.xml'), 'w').write(machine_xml(disks, h, os=False, sources={'disk0': f'/var/lib/images/extra{i}.raw'}, captured='2026-11-27T09:00:00Z'))
    if args: open(os.path.join(d, 'args'), 'w').write(args + '\n')
    if images: open(os.path.join(d, 'images'), 'w').write(images)
print(len(scenarios), 'scenarios')
