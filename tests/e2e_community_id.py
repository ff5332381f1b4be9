"""Community ID on every flow of every sample and shared capture, checked against
tshark's own implementation (tshark 4.0: --enable-protocol communityid).
Skipped (77) without tshark; the spec's test vectors are in tests/test-community-id.c."""
import shutil
import sys

import ptltest


def main():
    if shutil.which("tshark") is None:
        ptltest.die_skipped("tshark is not installed")
    tally = ptltest.Tally()
    compared = 0
    for capture in ptltest.reference_captures():
        try:
            flows = ptltest.flows(capture)
        except RuntimeError as e:
            tally.skip(capture.name, str(e)[:120])
            continue
        ids = ptltest.tshark_by_flow(capture, ["communityid"],
                                     extra=["--enable-protocol", "communityid"])
        for flow in flows:
            theirs = {v[0] for v in ids.get(ptltest.portolan_flow_key(flow), []) if v[0]}
            if not theirs:
                continue      # tshark did not see it as this tuple (tunnels, fragments...)
            compared += 1
            tally.check(theirs == {flow["community_id"]},
                        f"{capture.name}: {ptltest.flow_name(flow)}",
                        f"portolan {flow['community_id']}, tshark {sorted(theirs)}")
    tally.check(compared > 0, "at least one flow compared with tshark")
    print(f"{compared} flows compared with tshark's community id")
    return tally.finish()


if __name__ == "__main__":
    sys.exit(main())
