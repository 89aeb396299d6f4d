#!/usr/bin/env python3
"""Writes a small MaxMind DB (MMDB format 2.0, IPv4, 24-bit records) for tests: Envoy's MaxMind
geolocation provider loads it like a GeoLite2/GeoIP2 database.

    test-mmdb.py OUT.mmdb DATABASE_TYPE NETWORKS.json

NETWORKS.json maps an IPv4 network ("81.2.69.0/24") to the record Envoy reads for it, in MaxMind's
layout, e.g. {"country": {"iso_code": "GB"}, "city": {"names": {"en": "London"}}} for a City
database, {"is_anonymous_vpn": true} for an Anonymous-IP one, {"autonomous_system_number": 64500}
for an ASN one. With NETWORKS.json "-" the file holds no network (every lookup misses).

The end-to-end tests and the CI's envoy --mode validate step use it; it is not a general writer."""
import ipaddress
import json
import struct
import sys
import time


def encode(value):
    """One value in the MMDB data-section encoding."""
    if isinstance(value, bool):
        return control(14, int(value))
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return control(2, len(raw)) + raw
    if isinstance(value, int):
        if value < 0 or value >= 1 << 64:
            raise ValueError("integers must be unsigned 64-bit: %r" % value)
        raw = value.to_bytes(8, "big").lstrip(b"\x00")
        if value < 1 << 32:
            return control(6, len(raw)) + raw
        return control(9, len(raw)) + raw
    if isinstance(value, float):
        return control(3, 8) + struct.pack(">d", value)
    if isinstance(value, dict):
        out = control(7, len(value))
        for k, v in value.items():
            out += encode(str(k)) + encode(v)
        return out
    if isinstance(value, list):
        out = control(11, len(value))
        for v in value:
            out += encode(v)
        return out
    raise ValueError("cannot encode %r" % (value,))


def control(kind, size):
    """The control byte(s): the type in the top 3 bits (0 plus an extra byte for extended types)
    and the size in the low 5 bits, with 1 to 3 extra size bytes for large sizes."""
    if size < 29:
        head, extra = size, b""
    elif size < 29 + 256:
        head, extra = 29, bytes([size - 29])
    elif size < 285 + 65536:
        head, extra = 30, (size - 285).to_bytes(2, "big")
    else:
        head, extra = 31, (size - 65821).to_bytes(3, "big")
    if kind <= 7:
        return bytes([(kind << 5) | head]) + extra
    return bytes([head, kind - 7]) + extra


def build(networks):
    """The search tree (as node list) and the data section for {network: record}."""
    data = b""
    offsets = []
    leaves = []
    for net, record in networks.items():
        n = ipaddress.IPv4Network(net, strict=False)
        offsets.append(len(data))
        data += encode(record)
        leaves.append((int(n.network_address), n.prefixlen, len(offsets) - 1))
    # Nodes are [left, right]; an int >= 0 is a node index, ("data", i) a record, None no data.
    nodes = [[None, None]]
    for addr, plen, idx in leaves:
        if plen == 0:
            raise ValueError("a /0 network is not supported")
        node = 0
        for depth in range(plen):
            bit = (addr >> (31 - depth)) & 1
            if depth == plen - 1:
                nodes[node][bit] = ("data", idx)
            else:
                nxt = nodes[node][bit]
                if not isinstance(nxt, int):
                    nodes.append([None, None])
                    nxt = len(nodes) - 1
                    nodes[node][bit] = nxt
                node = nxt
    return nodes, data, offsets


def write(path, database_type, networks):
    nodes, data, offsets = build(networks)
    count = len(nodes)

    def record(r):
        if r is None:
            return count
        if isinstance(r, int):
            return r
        return count + 16 + offsets[r[1]]

    tree = b""
    for left, right in nodes:
        tree += record(left).to_bytes(3, "big") + record(right).to_bytes(3, "big")
    metadata = {
        "binary_format_major_version": 2,
        "binary_format_minor_version": 0,
        "build_epoch": int(time.time()),
        "database_type": database_type,
        "description": {"en": "eg4j test database"},
        "ip_version": 4,
        "languages": ["en"],
        "node_count": count,
        "record_size": 24,
    }
    # node_count and the versions are typed as MaxMind readers expect: uint32, uint16, uint64.
    meta = control(7, len(metadata))
    for k, v in metadata.items():
        meta += encode(k)
        if k in ("binary_format_major_version", "binary_format_minor_version", "ip_version",
                 "record_size"):
            raw = v.to_bytes(2, "big").lstrip(b"\x00")
            meta += control(5, len(raw)) + raw
        elif k == "build_epoch":
            raw = v.to_bytes(8, "big").lstrip(b"\x00")
            meta += control(9, len(raw)) + raw
        else:
            meta += encode(v)
    with open(path, "wb") as f:
        f.write(tree + b"\x00" * 16 + data + b"\xab\xcd\xefMaxMind.com" + meta)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    out, database_type, spec = sys.argv[1:]
    networks = {} if spec == "-" else json.load(open(spec))
    write(out, database_type, networks)


if __name__ == "__main__":
    main()
