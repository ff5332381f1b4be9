"""The ticket report (issue 8): the HTML page, `portolan report`, the filters and the
terminal summary.

For every sample: `analyze --json J --html H` and `report J -o H2` give the same bytes;
the page parses as balanced HTML, references nothing outside itself (no http(s)://, no
src, no href but #anchors); headless Chromium, every host lookup failing, shows
every finding's message and every host in --dump-dom (and so does the markup itself,
which is what a reader without JavaScript gets), logs no console error and makes no
network request (its net log); --print-to-pdf writes a PDF and --screenshot a PNG.
Hostile strings (a capture whose file name, HTTP Host, URI, Basic-auth user and TLS SNI
carry <script>) reach the page only escaped: the DOM has exactly one script, ours.
Filters: an unknown --kind or --severity or a bad --host exits 2 naming the valid
values; --kind and --host keep only matching findings (and flow lines) and record the
filter.
Summary: on a real-sized capture (shared/bench/make-capture, 200,000 packets) the
terminal leads with one line per (kind, rule) plus its examples line, and no line of the
report is wider than 100 columns.
"""
import base64
import html
import html.parser
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import hostile_captures as hc
import ptltest

tally = ptltest.Tally()
CHROMIUM_TIMEOUT_S = 90
BENCH_PACKETS = 200_000
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
HOSTILE = "<script>alert(1)</script>"


def portolan(*args):
    cmd = [ptltest.portolan_binary(), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=ptltest.RUN_TIMEOUT_S)


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def browse(browser, page, *flags, profile):
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--no-first-run", f"--user-data-dir={profile}",
           "--host-resolver-rules=MAP * ~NOTFOUND", *flags, page.as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=CHROMIUM_TIMEOUT_S)


class Strict(html.parser.HTMLParser):
    """Balanced tags; collects the text (entities resolved) and the script count."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.text, self.scripts = [], [], [], 0
        self.refs = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href", "action", "xlink:href") and value is not None:
                self.refs.append(value)
        if tag == "script":
            self.scripts += 1
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else 'nothing'}>")
            return
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse(text):
    p = Strict()
    p.feed(text)
    p.close()
    if p.stack:
        p.errors.append(f"unclosed: {p.stack[-3:]}")
    return p


def check_page_file(name, page_text):
    p = parse(page_text)
    tally.check(not p.errors, f"{name}: balanced HTML", "; ".join(p.errors[:3]))
    tally.check(re.search(r"https?://", page_text) is None, f"{name}: no http(s):// in the page")
    outside = [r for r in p.refs if not r.startswith("#") and not r.startswith("url(#")]
    tally.check(not outside, f"{name}: no reference outside the page", str(outside[:3]))
    return p


def check_shows(what, page_text, report):
    """Every finding's message and every host is in the page's text."""
    text = html.unescape("".join(parse(page_text).text))
    missing = [f["message"] for f in report.get("findings", []) if f["message"] not in text]
    tally.check(not missing, f"{what}: every finding's message", str(missing[:1]))
    hosts = [h["ip"] for h in report.get("hosts", []) if h["ip"] not in text]
    tally.check(not hosts, f"{what}: every host", str(hosts[:3]))


def page_requests(netlog):
    """URLs the page itself asked for: requests whose initiator is the page's (opaque
    file://) origin.  The browser's own background requests have none."""
    text = netlog.read_text(errors="replace").rstrip()
    if not text.endswith("}"):
        text = text.rstrip(",") + "]}"      # a log cut at exit: close the events array
    try:
        events = json.loads(text).get("events", [])
    except json.JSONDecodeError:
        return ["(net log unreadable)"]
    urls = set()
    for event in events:
        params = event.get("params") or {}
        initiator = params.get("initiator")
        url = params.get("url", "")
        if initiator is not None and (initiator == "null" or initiator.startswith("file:")) \
                and url and not url.startswith(("file:", "data:")):
            urls.add(url)
    return sorted(urls)


def check_in_browser(browser, name, page, report, tmp):
    profile = tmp / f"profile-{name}"
    netlog = tmp / f"net-{name}.json"
    dom = browse(browser, page, "--enable-logging=stderr", "--v=0", f"--log-net-log={netlog}",
                 "--dump-dom", profile=profile)
    if not tally.check(dom.returncode == 0 and "<html" in dom.stdout, f"{name}: dump-dom",
                       dom.stderr[-300:]):
        return
    check_shows(f"{name}: in the browser's DOM", dom.stdout, report)
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line or
               "Uncaught" in line]
    tally.check(not console, f"{name}: no console error", "; ".join(console[:2]))
    if netlog.exists():
        outside = page_requests(netlog)
        tally.check(not outside, f"{name}: the page requests nothing (net log)", str(outside[:3]))
    pdf = tmp / f"{name}.pdf"
    run = browse(browser, page, "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
                 profile=profile)
    tally.check(pdf.exists() and pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 5000,
                f"{name}: prints to PDF", run.stderr[-300:])
    png = tmp / f"{name}.png"
    run = browse(browser, page, "--window-size=1280,2000", f"--screenshot={png}",
                 profile=profile)
    tally.check(png.exists() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and
                png.stat().st_size > 20000, f"{name}: screenshot", run.stderr[-300:])
    keep = os.environ.get("PTL_BUILD_DIR")
    if keep and png.exists():
        shutil.copy(png, Path(keep) / f"report-{name}.png")


def analyze_html(capture, tmp, *extra):
    name = capture.stem
    json_path, html_path, again = tmp / f"{name}.json", tmp / f"{name}.html", tmp / f"{name}-2.html"
    args = ["analyze", "--no-progress", "-q", "--fail-on", "never", "--json", str(json_path),
            "--html", str(html_path), *extra]
    inventory = capture.with_suffix(".inventory")
    if inventory.exists():
        args += ["--inventory", str(inventory)]
    run = portolan(*args, str(capture))
    if not tally.check(run.returncode == 0, f"{name}: analyze --html", run.stderr.strip()):
        return None
    run = portolan("report", str(json_path), "-o", str(again))
    tally.check(run.returncode == 0 and again.read_bytes() == html_path.read_bytes(),
                f"{name}: report JSON -o HTML equals analyze --html, byte for byte",
                run.stderr.strip())
    return json.loads(json_path.read_text()), html_path


def check_samples(browser, tmp):
    captures = ptltest.sample_captures()
    if not captures:
        tally.skip("samples", "no samples/*.pcap")
    for capture in captures:
        result = analyze_html(capture, tmp)
        if result is None:
            continue
        report, page = result
        check_page_file(capture.stem, page.read_text())
        # what a reader without JavaScript gets: the file's own markup
        check_shows(f"{capture.stem}: without JavaScript", page.read_text(), report)
        if browser:
            check_in_browser(browser, capture.stem, page, report, tmp)


# --- hostile strings ---------------------------------------------------------------------

def tls_client_hello(sni):
    name = sni.encode()
    server_name = struct.pack(">BH", 0, len(name)) + name
    ext = struct.pack(">HH", 0, len(server_name) + 2) + struct.pack(">H", len(server_name)) \
        + server_name
    body = b"\x03\x03" + b"\x11" * 32 + b"\x00" + struct.pack(">H", 2) + b"\x13\x01" + b"\x01\x00"
    body += struct.pack(">H", len(ext)) + ext
    hs = b"\x01" + struct.pack(">I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack(">H", len(hs)) + hs


def tcp_session(start_us, client, server, sport, dport, request, response=b""):
    frames = [hc.tcp_frame(client, server, sport, dport, 1000, 0, hc.SYN),
              hc.tcp_frame(server, client, dport, sport, 5000, 1001, hc.SYN | hc.ACK),
              hc.tcp_frame(client, server, sport, dport, 1001, 5001, hc.ACK),
              hc.tcp_frame(client, server, sport, dport, 1001, 5001, hc.PSH | hc.ACK, request)]
    if response:
        frames.append(hc.tcp_frame(server, client, dport, sport, 5001, 1001 + len(request),
                                   hc.PSH | hc.ACK, response))
    return [(start_us + i * 1000, f) for i, f in enumerate(frames)]


def check_hostile(browser, tmp):
    client, server = bytes((192, 168, 7, 7)), bytes((10, 20, 0, 11))
    user = base64.b64encode(f"{HOSTILE}:secret".encode()).decode()
    request = (f"GET /{HOSTILE}?q=<img> HTTP/1.1\r\nHost: {HOSTILE}\r\n"
               f"Authorization: Basic {user}\r\n\r\n").encode()
    packets = tcp_session(hc.T2024_US, client, server, 40001, 80, request,
                          b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    packets += tcp_session(hc.T2024_US + 100_000, client, server, 40002, 443,
                           tls_client_hello("x<script>alert(2)</script>.example"))
    capture = tmp / "<b>hostile<i>.pcap"
    hc.write_pcap(capture, packets)
    result = analyze_html(capture, tmp, "--product", "sisense", "--nodes", "10.20.0.11")
    if result is None:
        return
    report, page = result
    text = page.read_text()
    messages = " ".join(f["message"] for f in report["findings"])
    tally.check(HOSTILE in messages, "hostile: the Basic user reaches a finding's message")
    p = check_page_file("hostile", text)
    tally.check("<script>alert" not in text and "<b>hostile" not in text,
                "hostile: no capture string unescaped in the page")
    tally.check(p.scripts == 1, "hostile: exactly one script element, portolan's", str(p.scripts))
    if not browser:
        return
    dom = browse(browser, page, "--dump-dom", profile=tmp / "profile-hostile")
    tally.check(dom.returncode == 0 and parse(dom.stdout).scripts == 1 and
                HOSTILE in html.unescape("".join(parse(dom.stdout).text)),
                "hostile: the browser shows the string as text and runs no script of it")


# --- filters -----------------------------------------------------------------------------

def check_filters(tmp):
    sample = ptltest.source_dir() / "samples" / "sisense.pcap"
    if not sample.exists():
        tally.skip("filters", "no samples/sisense.pcap")
        return
    base = ["analyze", "--no-progress", "--fail-on", "never", "--inventory",
            str(sample.with_suffix(".inventory"))]
    for flag, value, valid in (("--kind", "source-not-alowed", "source-not-allowed"),
                               ("--severity", "fatal", "error, warning, info"),
                               ("--only", "bad", "error, warning, info"),
                               ("--host", "10.20.0.300", "address")):
        run = portolan(*base, flag, value, str(sample))
        tally.check(run.returncode == 2 and value in run.stderr and valid in run.stderr,
                    f"filter: {flag} {value} exits 2 naming the valid values",
                    f"{run.returncode}: {run.stderr.strip()}")
    run = portolan(*base, "--kind", "source-not-allowed,connection-refused", "--json", "-",
                   str(sample))
    report = json.loads(run.stdout)
    kinds = {f["kind"] for f in report["findings"]}
    tally.check(kinds == {"source-not-allowed", "connection-refused"} and
                report["filter"]["findings_before"] > len(report["findings"]),
                "filter: --kind keeps those kinds and records the filter", str(kinds))
    run = portolan(*base, "--host", "10.20.0.13", "--only", "error", "--json", "-", str(sample))
    report = json.loads(run.stdout)
    tally.check(report["findings"] and all(
        "10.20.0.13" in (f["client"], f["server"]) and f["severity"] == "error"
        for f in report["findings"]), "filter: --host and --only keep only matching findings")
    tally.check(report["findings_summary"]["error"] == len(report["findings"]),
                "filter: findings_summary counts what is shown")
    run = portolan(*base, "--host", "10.20.0.13", "-q", "--flows", "-", str(sample))
    flows = [json.loads(line) for line in run.stdout.splitlines()]
    everything = portolan(*base, "-q", "--flows", "-", str(sample)).stdout.splitlines()
    tally.check(flows and len(flows) < len(everything) and all(
        "10.20.0.13" in (f["client"]["ip"], f["server"]["ip"]) for f in flows),
        "filter: --host selects the flow lines too", f"{len(flows)} of {len(everything)}")
    run = portolan(*base, "--kind", "connection-refused", "-q", "--flows", "-", str(sample))
    flows = [json.loads(line) for line in run.stdout.splitlines()]
    tally.check(flows and all("connection-refused" in f["findings"] for f in flows),
                "filter: --kind keeps the flow lines with such a finding", str(len(flows)))


# --- the summary at size -----------------------------------------------------------------

def check_summary_at_size(tmp):
    make = ptltest.source_dir().parent / "shared" / "bench" / "make-capture"
    if not make.exists():
        tally.skip("summary at size", "no ../shared/bench/make-capture")
        return
    capture = tmp / "bench.pcap"
    subprocess.run([sys.executable, str(make), "--packets", str(BENCH_PACKETS), "--seed", "1",
                    "--out", str(capture)], check=True, capture_output=True, timeout=300)
    json_path = tmp / "bench.json"
    run = portolan("analyze", "--no-progress", "--no-color", "--fail-on", "never", "--json",
                   str(json_path), str(capture))
    report = json.loads(json_path.read_text())
    pairs = {(f["kind"], (f["rule"] or {}).get("file"), (f["rule"] or {}).get("line"))
             for f in report["findings"]}
    lines = run.stdout.splitlines()
    wide = [line for line in lines if len(line) > 100]
    tally.check(not wide, "summary: no line wider than 100 columns", wide[0] if wide else "")
    start = next((i for i, line in enumerate(lines) if line.startswith("Findings")), None)
    if not tally.check(start is not None, "summary: a Findings heading"):
        return
    head = next(i for i in range(start, len(lines)) if "KIND" in lines[i] and "RULE" in lines[i])
    end = lines.index("", head)
    block = lines[head + 1:end]
    group_lines = [line for line in block if re.match(r"  (ERROR|WARN |INFO ) ", line)]
    tally.check(len(report["findings"]) > 500 and len(group_lines) == len(pairs),
                "summary: one line per (kind, rule)",
                f"{len(group_lines)} lines, {len(pairs)} pairs, {len(report['findings'])} findings")
    tally.check(len(block) <= 2 * len(pairs), "summary: bounded by 2 lines per (kind, rule)",
                f"{len(block)} lines for {len(pairs)} pairs")
    severities = [line[2:7].strip() for line in group_lines]
    rank = {"ERROR": 0, "WARN": 1, "INFO": 2}
    tally.check(severities == sorted(severities, key=rank.get), "summary: errors first")
    tally.check(any("findings not detailed here" in line for line in lines[end:]),
                "summary: the details are capped with the count of the rest")
    print(f"summary: {len(report['findings'])} findings, {len(pairs)} (kind, rule) pairs, "
          f"{len(block) + 1} summary lines, {len(lines)} lines in all")


def main():
    browser = chromium()
    if browser is None:
        tally.skip("browser checks", "no chromium (scripts/setup --asan installs it)")
    with tempfile.TemporaryDirectory(prefix="ptl-html-") as tmp:
        tmp = Path(tmp)
        check_samples(browser, tmp)
        check_hostile(browser, tmp)
        check_filters(tmp)
        check_summary_at_size(tmp)
    return tally.finish()


if __name__ == "__main__":
    sys.exit(main())
