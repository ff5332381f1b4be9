#!/usr/bin/env python3
"""`meson install` puts the binary, the modules, the rules, the man pages (portolan(1),
portolan-inventory(5), portolan-rules(5)), the bash completion, the plugin headers and the
portolan-dissector pkg-config file in place; the installed completion completes commands,
options (from --help-all) and --format names; and a dissector built
OUT OF TREE from a copy of plugins/example against those installed files builds,
passes its own test and is loaded by portolan.
"""
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import ptltest

results = {"passed": 0, "failed": 0}


def check(name, condition, detail=""):
    if condition:
        results["passed"] += 1
    else:
        results["failed"] += 1
        print(f"FAIL {name}: {detail}")


def run(cmd, **kwargs):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kwargs)


def installed(destdir, suffix):
    return sorted(str(p.relative_to(destdir)) for p in Path(destdir).rglob(suffix))


def staged_pc(pc, destdir, outdir):
    """The .pc file as if installed where DESTDIR staged it: its prefix moved under
    destdir (PKG_CONFIG_SYSROOT_DIR would move GLib's paths too)."""
    lines = []
    for line in pc.read_text().splitlines():
        if line.startswith("prefix="):
            line = "prefix=" + str(destdir) + line[len("prefix="):]
        lines.append(line)
    (outdir / pc.name).write_text("\n".join(lines) + "\n")


BASH_COMPLETION = Path("/usr/share/bash-completion/bash_completion")
COMPLETE = """source "$1"; source "$2"; shift 2; line="$*"
read -ra COMP_WORDS <<< "$line"; [[ $line == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMP_LINE=$line; COMP_POINT=${#line}
_portolan; printf '%s\\n' "${COMPREPLY[@]}"
"""


def check_completion(script):
    if not BASH_COMPLETION.exists() or shutil.which("bash") is None:
        print("SKIP completion behaviour: bash-completion is not installed")
        return
    env = dict(os.environ, PATH=str(Path(ptltest.portolan_binary()).parent) + ":" +
               os.environ.get("PATH", ""))
    for line, want in (("portolan li", {"live"}), ("portolan analyze --for", {"--format"}),
                       ("portolan analyze --format e", {"eve", "ecs"}),
                       ("portolan live --ev", {"--events"}),
                       ("portolan rules ", {"list", "check"})):
        proc = run(["bash", "-c", COMPLETE, "complete", str(BASH_COMPLETION), str(script),
                    line], env=env)
        got = set(proc.stdout.split())
        check(f"completion of '{line}'", got == want, f"{sorted(got)} {proc.stderr[-300:]}")


def main():
    build = os.environ.get("PTL_BUILD_DIR")
    if not build or shutil.which("meson") is None or shutil.which("pkg-config") is None:
        ptltest.die_skipped("needs PTL_BUILD_DIR, meson and pkg-config")
    with tempfile.TemporaryDirectory() as tmp:
        destdir = Path(tmp) / "root"
        proc = run(["meson", "install", "-C", build, "--destdir", str(destdir), "--quiet"])
        check("meson install", proc.returncode == 0, proc.stderr)
        wanted = {"bin/portolan": "*/bin/portolan", "man page": "*/man1/portolan.1",
                  "inventory man page": "*/man5/portolan-inventory.5",
                  "rules man page": "*/man5/portolan-rules.5",
                  "bash completion": "*/bash-completion/completions/portolan",
                  "plugin header": "*/portolan/ptl-dissector.h",
                  "cursor header": "*/portolan/ptl-cursor.h",
                  "redaction header": "*/portolan/ptl-redact.h",
                  "pkg-config file": "*/portolan-dissector.pc"}
        for label, pattern in wanted.items():
            check(f"installs {label}", installed(destdir, pattern.lstrip("*/")), pattern)
        completion = installed(destdir, "bash-completion/completions/portolan")
        if completion:
            check_completion(destdir / completion[0])
        # the build's dissector_names + plugin_names, and every rules/*.rules of the tree
        names = os.environ.get("PTL_INSTALLED_MODULES", "").split()
        check("the build names its modules", len(names) > 0, "PTL_INSTALLED_MODULES unset")
        modules = sorted(Path(p).name for p in installed(destdir, "libptl-*.so"))
        check("installs the build's modules", modules == sorted(f"libptl-{n}.so" for n in names),
              f"installed {modules}, the build lists {names}")
        rules = sorted(Path(p).name for p in installed(destdir, "*.rules"))
        tree_rules = sorted(p.name for p in (ptltest.source_dir() / "rules").glob("*.rules"))
        check("installs every rule file of rules/", rules == tree_rules,
              f"installed {rules}, rules/ holds {tree_rules}")

        pc = installed(destdir, "portolan-dissector.pc")
        pcdir = Path(tmp) / "pkgconfig"
        pcdir.mkdir()
        if pc:
            staged_pc(destdir / pc[0], destdir, pcdir)
        example = Path(tmp) / "my-dissector"
        shutil.copytree(ptltest.source_dir() / "plugins" / "example", example)
        env = dict(os.environ, PKG_CONFIG_PATH=str(pcdir))
        proc = run(["meson", "setup", "build"], cwd=example, env=env)
        check("out-of-tree setup", proc.returncode == 0, proc.stdout[-2000:] + proc.stderr)
        proc = run(["meson", "compile", "-C", "build"], cwd=example, env=env)
        check("out-of-tree build", proc.returncode == 0, proc.stdout[-2000:])
        proc = run(["meson", "test", "-C", "build"], cwd=example, env=env)
        check("out-of-tree test", proc.returncode == 0, proc.stdout[-2000:])
        listing = run([ptltest.portolan_binary(), "plugins", "--plugin-dir",
                       str(example / "build")])
        check("portolan loads the out-of-tree module", "example" in listing.stdout,
              listing.stdout + listing.stderr)
    print(f"{results['passed']} passed, {results['failed']} failed")
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
