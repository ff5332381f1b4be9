"""Community ID on every flow of every sample and shared capture, checked against
tshark's own implementation (tshark 4.0: --enable-protocol communityid).
Skipped (77) without tshark; the spec's test vectors are in tests/test-community-id.c."""
import shutil
import subprocess
import sys

import ptltest

FIELDS = ["ip.src", "ipv6.src", "ip.dst", "ipv6.dst", "tcp.srcport", "udp.srcport",
          "tcp.dstport", "udp.dstport", "communityid"]


def tshark_ids(capture):
    """direction-free endpoint key -> set of community ids tshark gave its packets"""
    cmd = ["tshark", "-r", str(capture), "--enable-protocol", "communityid", "-T", "fields",
           "-E", "occurrence=f"] + sum((["-e", f] for f in FIELDS), [])
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    ids = {}
    for line in proc.stdout.splitlines():
        cols = line.split("\t")
        if len(cols) != len(FIELDS) or not cols[8]:
            continue
        src, dst = cols[0] or cols[1], cols[2] or cols[3]
        sport, dport = cols[4] or cols[5], cols[6] or cols[7]
        if not (src and dst and sport and dport):
            continue      # ICMP errors carry the inner tuple: not a flow of their own
        try:
            key = ptltest.flow_key(ptltest.endpoint(src, sport), ptltest.endpoint(dst, dport))
        except ValueError:
            continue
        ids.setdefault(key, set()).add(cols[8])
    return ids


def main():
    if shutil.which("tshark") is None:
        ptltest.die_skipped("tshark is not installed")
    captures = ptltest.sample_captures()
    shared = ptltest.shared_captures_dir()
    if shared is not None:
        captures += sorted(p for p in shared.rglob("*") if p.suffix in (".pcap", ".pcapng"))
    tally = ptltest.Tally()
    compared = 0
    for capture in captures:
        try:
            flows = ptltest.flows(capture)
        except RuntimeError as e:
            tally.skip(capture.name, str(e)[:120])
            continue
        ids = tshark_ids(capture)
        for flow in flows:
            key = ptltest.portolan_flow_key(flow)
            theirs = ids.get(key)
            if not theirs:
                continue      # tshark did not see it as this tuple (tunnels, fragments...)
            compared += 1
            tally.check(flow["community_id"] in theirs and len(theirs) == 1,
                        f"{capture.name}: {ptltest.flow_name(flow)}",
                        f"portolan {flow['community_id']}, tshark {sorted(theirs)}")
    tally.check(compared > 0, "at least one flow compared with tshark")
    print(f"{compared} flows compared with tshark's community id")
    return tally.finish()


if __name__ == "__main__":
    sys.exit(main())
