"""JA3 and JA3S of every TLS flow of the samples and shared captures, checked against
tshark 4.0's tls.handshake.ja3 / ja3s (the first ClientHello and ServerHello of the flow),
the cipher suite and key exchange group by their IANA names, and the certificate's SAN and validity as tshark's
x509ce.dNSName and x509af.utcTime show the first certificate. Skipped (77) without tshark."""
import shutil
import subprocess
import sys

import ptltest


def registry_names(field):
    """code -> IANA name of a tshark value table (cipher suites, groups)"""
    out = subprocess.run(["tshark", "-G", "values"], capture_output=True, text=True,
                         timeout=120).stdout
    return {int(c[2], 0): c[3] for c in (l.split("\t") for l in out.splitlines())
            if len(c) == 4 and c[0] == "V" and c[1] == field}


def check_certificate(tally, capture, flow, tls, certs):
    cert = tls.get("certificate")
    # the first Certificate message that holds one: a client's empty Certificate (after a
    # CertificateRequest, as PostgreSQL's server sends) has neither names nor times
    rows = [r for r in certs.get(ptltest.portolan_flow_key(flow), []) if r[1]]
    if cert is None or not rows:
        return 0
    names, times = rows[0][0].split(","), rows[0][1].split(",")
    what = f"{capture.name}: {ptltest.flow_name(flow)} certificate"
    want = [t.replace(" (UTC)", "Z").replace(" ", "T") for t in times[:2]]
    tally.check([cert["not_before"], cert["not_after"]] == want, f"{what} validity",
                f"{cert['not_before']} {cert['not_after']} vs {want}")
    tally.check(cert["san"] and set(cert["san"]) <= set(names), f"{what} SAN",
                f"{cert['san']} vs {names}")
    return 1


def main():
    if shutil.which("tshark") is None:
        ptltest.die_skipped("tshark is not installed")
    tally = ptltest.Tally()
    names = registry_names("tls.handshake.ciphersuite")
    groups = registry_names("tls.handshake.extensions_supported_group")
    compared = 0
    for capture in ptltest.reference_captures():
        try:
            flows = [f for f in ptltest.flows(capture) if ptltest.app(f, "tls")]
        except RuntimeError as e:
            tally.skip(capture.name, str(e)[:120])
            continue
        if not flows:
            continue
        hellos = ptltest.tshark_by_flow(
            capture, ["tls.handshake.type", "tls.handshake.ja3", "tls.handshake.ja3s",
                      "tls.handshake.extensions_key_share_group",
                      "tls.handshake.extensions_key_share_selected_group",
                      "tls.handshake.server_named_curve"],
            "tls.handshake.type == 1 || tls.handshake.type == 2 || tls.handshake.type == 12")
        certs = ptltest.tshark_by_flow(capture, ["x509ce.dNSName", "x509af.utcTime"],
                                       "tls.handshake.type == 11", occurrence="a")
        for flow in flows:
            tls = ptltest.app(flow, "tls")
            compared += check_certificate(tally, capture, flow, tls, certs)
            rows = hellos.get(ptltest.portolan_flow_key(flow), [])
            ja3 = next((r[1] for r in rows if r[1]), None)
            ja3s = next((r[2] for r in rows if r[2]), None)
            name = f"{capture.name}: {ptltest.flow_name(flow)}"
            for key, theirs in (("ja3", ja3), ("ja3s", ja3s)):
                if theirs is None:
                    continue
                compared += 1
                tally.check(tls.get(key) == theirs, f"{name} {key}",
                            f"portolan {tls.get(key)}, tshark {theirs}")
            chosen = [int(v, 0) for r in rows if r[0] in ("2", "12") for v in r[3:6] if v]
            if chosen:
                compared += 1
                want = groups.get(chosen[-1], f"0x{chosen[-1]:04x}")
                tally.check(tls.get("group") == want, f"{name} group", f"{tls.get('group')} "
                            f"vs tshark {want}")
            code = tls.get("cipher_suite_code")
            if code is not None and int(code, 16) in names:
                tally.check(tls["cipher_suite"] == names[int(code, 16)],
                            f"{name} cipher suite {code} by its IANA name", tls["cipher_suite"])
    tally.check(compared > 0, "at least one fingerprint compared with tshark")
    print(f"{compared} fingerprints compared with tshark")
    return tally.finish()


if __name__ == "__main__":
    sys.exit(main())
