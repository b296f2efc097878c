# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# xdpwatch images, used by docker-compose.yml:
#   build    Debian 12 with the toolchain; builds and installs into /out
#   runtime  Debian 12 slim with the run-time libraries, the daemons
#            (xdpwatch-collector, xdpwatch-detector when the tree has it)
#            and the xdpwatch CLI in /usr/sbin, the sample configs in
#            /etc/xdpwatch
#
#   docker build -t xdpwatch .
#
# The XDP object is compiled CO-RE against vmlinux.h, which the build
# generates from the build host's /sys/kernel/btf/vmlinux (visible inside
# `docker build` on Linux); the object then loads on any BTF kernel 5.18+.
# A builder without it can pass a BTF file:
#   docker build --build-arg VMLINUX_BTF=/src/path/to/vmlinux.btf .

FROM debian:bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
	cmake ninja-build pkg-config gcc libc6-dev clang llvm \
	libbpf-dev libxdp-dev bpftool libelf-dev zlib1g-dev \
	librdkafka-dev libprotobuf-c-dev protobuf-c-compiler \
	libconfig-dev libcmocka-dev libsodium-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
ARG VMLINUX_BTF=/sys/kernel/btf/vmlinux
# Tests need root and BPF: they run on hosts (scripts/test.sh), not here.
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
	-DCMAKE_INSTALL_PREFIX=/usr -DXW_VMLINUX_BTF="$VMLINUX_BTF" \
 && cmake --build /build \
 && DESTDIR=/out cmake --install /build \
 && mkdir -p /out/etc/xdpwatch \
 && cp config/*.cfg /out/etc/xdpwatch/

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
	libbpf1 libxdp1 libelf1 zlib1g librdkafka1 libprotobuf-c1 libconfig9 \
	libsodium23 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# The detector needs no privilege: it runs as this user. The collector
# needs root's BPF and network capabilities (see deploy/systemd/).
# A fixed uid, so that a mounted key can be given to it (chown 10001).
RUN useradd --system --uid 10001 --user-group --no-create-home \
	--home-dir /nonexistent --shell /usr/sbin/nologin xdpwatch
COPY --from=build /out/ /
LABEL org.opencontainers.image.title="xdpwatch" \
      org.opencontainers.image.description="XDP packet telemetry and DDoS mitigation" \
      org.opencontainers.image.licenses="GPL-2.0-only OR BSD-2-Clause"
CMD ["xdpwatch", "--help"]
