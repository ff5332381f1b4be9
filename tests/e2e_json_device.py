#!/usr/bin/env python3
"""--json to a device or FIFO writes into it and leaves it what it was.

Found by the pipeline fuzz target, which writes its report to /dev/null: the report
was written to a temporary file renamed over the path, so as root
`portolan analyze --json /dev/null` replaced /dev/null with a regular file.  A FIFO
stands in for the device here, so a regression cannot break the machine.
"""
import json
import os
import stat
import subprocess
import tempfile
import threading
from pathlib import Path

import ptltest

SAMPLE = ptltest.source_dir() / "samples" / "proto-http.pcap"
READ_TIMEOUT_S = 30


def main():
    tally = ptltest.Tally()
    with tempfile.TemporaryDirectory() as tmp:
        fifo = Path(tmp) / "report.fifo"
        os.mkfifo(fifo)
        received = []

        def read():
            with open(fifo, "rb") as f:
                received.append(f.read())

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        proc = subprocess.run([ptltest.portolan_binary(), "analyze", *ptltest._plugin_args(),
                               "-q", "--no-progress", "--json", str(fifo), str(SAMPLE)],
                              capture_output=True, text=True, timeout=ptltest.RUN_TIMEOUT_S)
        reader.join(READ_TIMEOUT_S)
        tally.check(proc.returncode in (0, 1), "analyze --json FIFO exits 0 or 1",
                    f"exit {proc.returncode}: {proc.stderr.strip()}")
        tally.check(stat.S_ISFIFO(os.lstat(fifo).st_mode), "the FIFO is still a FIFO",
                    f"mode {oct(os.lstat(fifo).st_mode)}")
        tally.check(sorted(os.listdir(tmp)) == ["report.fifo"], "no file left next to it",
                    str(os.listdir(tmp)))
        report = json.loads(received[0]) if received and received[0] else {}
        tally.check(report.get("schema") == "portolan/report-1", "the report came through it",
                    f"{len(received[0]) if received else 0} bytes read")
        if reader.is_alive():          # unblock the reader so the process can end
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    return tally.finish()


if __name__ == "__main__":
    raise SystemExit(main())
