#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Check the Dockerfile without building it (no Docker engine needed):
every line is a known instruction, the stages are Debian 12 ("build" then
"runtime", the runtime last), COPY --from names an earlier stage, the
runtime takes the build's /out, and the build stage installs every build
package scripts/install-deps.sh lists, so the two cannot drift apart.

usage: check_dockerfile.py DOCKERFILE INSTALL_DEPS_SH
"""
import re
import sys

INSTRUCTIONS = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME",
                "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"}


def logical_lines(text):
    out, cur = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not cur and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            cur += line[:-1] + " "
            continue
        out.append(cur + line)
        cur = ""
    if cur:
        out.append(cur)
    return out


def build_packages(deps_text):
    """The words of install-deps.sh's packages=( ... ) between '# build'
    and the next comment."""
    m = re.search(r"packages=\((.*?)\n\)", deps_text, re.S)
    pk, on = [], False
    for line in m.group(1).splitlines():
        s = line.strip()
        if s.startswith("#"):
            on = s == "# build"
            continue
        if on:
            pk += s.split()
    return pk


def main(dockerfile, deps):
    errs, stages = [], []
    lines = logical_lines(open(dockerfile).read())
    for line in lines:
        word = line.split()[0].upper()
        if word not in INSTRUCTIONS:
            errs.append("unknown instruction: %s" % line[:60])
        if word == "FROM":
            m = re.match(r"FROM\s+(\S+)(?:\s+AS\s+(\S+))?$", line, re.I)
            if not m:
                errs.append("bad FROM: " + line)
                continue
            image, name = m.group(1), m.group(2)
            if not re.match(r"debian:bookworm(-slim)?$", image):
                errs.append("stage %s is not Debian 12: %s" % (name, image))
            stages.append({"name": name, "lines": []})
        elif not stages:
            if word != "ARG":
                errs.append("before the first FROM: " + line)
        else:
            stages[-1]["lines"].append(line)
        m = re.search(r"--from=(\S+)", line)
        if m and m.group(1) not in [s["name"] for s in stages[:-1]]:
            errs.append("COPY --from=%s: no earlier stage of that name" % m.group(1))
    names = [s["name"] for s in stages]
    if names != ["build", "runtime"]:
        errs.append("stages are %s, expected build then runtime" % names)
    else:
        build = " ".join(stages[0]["lines"])
        runtime = " ".join(stages[1]["lines"])
        missing = [p for p in build_packages(open(deps).read()) if not re.search(r"(?<![\w.-])%s(?![\w.-])" % re.escape(p), build)]
        if missing:
            errs.append("build stage lacks install-deps.sh build packages: %s" % " ".join(missing))
        if "cmake --build" not in build or "cmake --install" not in build:
            errs.append("build stage does not build and install with cmake")
        if "COPY --from=build /out/ /" not in runtime:
            errs.append("runtime stage does not take the build's /out")
        if "/etc/xdpwatch" not in build:
            errs.append("no configuration under /etc/xdpwatch")
    for e in errs:
        print("check_dockerfile: " + e, file=sys.stderr)
    if not errs:
        print("Dockerfile OK: stages %s" % " -> ".join(names))
    return 1 if errs else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
