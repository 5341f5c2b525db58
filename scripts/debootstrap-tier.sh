#!/bin/sh
# The slow tier of the Debian userland checks, outside `npm test`: a real Debian bookworm
# minbase tree made by debootstrap (plus python3), then the same checks as
# test/e2e/debian-userland.test.ts (tssc run against chroot of the same tree) on it.
#
# usage: scripts/debootstrap-tier.sh [DIR]      (as root; needs debootstrap and the mirror)
#   DIR defaults to $TMPDIR/tssc-debootstrap-bookworm; an existing DIR/rootfs is reused.
#   DEBIAN_MIRROR overrides the mirror, which is otherwise the one apt on this host uses.
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-${TMPDIR:-/tmp}/tssc-debootstrap-bookworm}

# The first bookworm "deb" source apt is configured with (deb822 .sources or one-line lists).
host_mirror() {
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk '/^URIs:/ { uri = $2 } /^Suites:/ && / bookworm( |$)/ && uri != "" { print uri; exit }' "$f"
  done
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    awk '$1 == "deb" && $0 ~ / bookworm / { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }'
}

if [ "$(id -u)" != 0 ]; then
  echo "debootstrap-tier: run as root (debootstrap and the chroot reference need it)" >&2
  exit 2
fi
command -v debootstrap >/dev/null || { echo "debootstrap-tier: apt-get install debootstrap" >&2; exit 2; }

mirror=${DEBIAN_MIRROR:-$(host_mirror | head -n 1)}
mirror=${mirror:-http://deb.debian.org/debian}

if [ ! -e "$dir/rootfs/etc/debian_version" ]; then
  rm -rf "$dir/rootfs.partial"
  mkdir -p "$dir"
  echo "debootstrap-tier: debootstrap --variant=minbase --include=python3 bookworm from $mirror" >&2
  debootstrap --variant=minbase --include=python3 bookworm "$dir/rootfs.partial" "$mirror" >"$dir/debootstrap.log" 2>&1 ||
    { tail -n 20 "$dir/debootstrap.log" >&2; exit 1; }
  mv "$dir/rootfs.partial" "$dir/rootfs"
fi

cd "$repo"
[ -f dist/cli/main.js ] && [ -f native/ptrace/build/Release/tssc_ptrace.node ] || npm run build
TSSC_DEBIAN_ROOTFS="$dir/rootfs" npx vitest run test/e2e/debian-userland.test.ts
