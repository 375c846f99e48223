#!/usr/bin/env bash
# Debian packages flatnet needs at run time (ip, nft, conntrack) and that its tests use as
# real peers (reference CNI plugins, iperf3, tcpdump, dig, curl, nc). Idempotent: skips apt
# when everything is present.
set -euo pipefail
pkgs=(iproute2 nftables conntrack containernetworking-plugins iperf3 tcpdump bind9-dnsutils
  curl netcat-openbsd socat iputils-ping procps util-linux gcc libc6-dev knot dnsperf openssl python3)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "install-deps: need root to install: ${missing[*]}" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
