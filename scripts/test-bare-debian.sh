#!/bin/sh
# The README's promise, checked: on a bare Debian 12 (debootstrap minbase: no
# make, no node, no npm) as root, with nothing but the clone, `sh scripts/dev
# <target>` installs what it needs and passes. Default target: demo.
#   sh scripts/test-bare-debian.sh [demo|test] [dir]   (dir default: a new one in /tmp)
# Needs root, debootstrap and the network (deb.debian.org, registry.npmjs.org).
# The chroot gets /proc, /sys, /dev and a policy-rc.d that keeps package
# scripts from starting daemons (Alertmanager, rsyslog) as any container has.
set -eu
# Every mount below lives in a private mount namespace: it goes away with this process.
if [ -z "${NS_PLUG_BARE_NS:-}" ]; then
	NS_PLUG_BARE_NS=1 exec unshare --mount --propagation private sh "$0" "$@"
fi
cd "$(dirname "$0")/.."
target=${1:-demo}
keep=${2:+yes} # a directory given is kept (reused by the next run); a temporary one is removed
root=${2:-$(mktemp -d /tmp/ns-plug-bare.XXXXXX)}
mounted=""
cleanup() {
	for m in $mounted; do umount -lR "$m" 2>/dev/null || true; done
	umount -l "$root" 2>/dev/null || true
	# Never remove through a mount that is still there.
	if [ -z "$keep" ] && ! grep -q " ${root}[/ ]" /proc/self/mounts; then rm -rf --one-file-system "$root"; fi
}
trap cleanup EXIT INT TERM

if [ ! -x "$root/usr/bin/apt-get" ]; then
	command -v debootstrap >/dev/null || { echo "test-bare-debian: needs debootstrap (apt-get install debootstrap)" >&2; exit 1; }
	debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >/dev/null
fi
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$root/etc/resolv.conf"
rm -rf "$root/root/ns-plug"
git clone -q . "$root/root/ns-plug"
# The working tree's uncommitted state is not tested: the clone is HEAD.
# The root is a mount point of its own (ip netns runs `mount --make-rslave /`), with a
# fresh /run (ip netns keeps its namespaces under /run/netns).
mount --bind "$root" "$root"
mount -t proc proc "$root/proc"
mount -t tmpfs tmpfs "$root/run"
mounted="$root/run $root/proc"
for m in sys dev; do
	mount --rbind "/$m" "$root/$m"
	mount --make-rslave "$root/$m"
	mounted="$root/$m $mounted"
done
for tool in make node npm; do
	if chroot "$root" sh -c "command -v $tool" >/dev/null 2>&1; then echo "test-bare-debian: $tool present before the run (not bare)"; fi
done
# A host whose https goes through an intercepting proxy trusts its CA through
# NODE_EXTRA_CA_CERTS: the chroot's npm gets the same file (nothing else is shared).
extra_ca=""
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r "$NODE_EXTRA_CA_CERTS" ]; then
	cp "$NODE_EXTRA_CA_CERTS" "$root/etc/ns-plug-host-ca.crt"
	extra_ca=NODE_EXTRA_CA_CERTS=/etc/ns-plug-host-ca.crt
fi
echo "test-bare-debian: $root: sh scripts/dev $target"
start=$(date +%s)
chroot "$root" env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 $extra_ca \
	sh -c "cd /root/ns-plug && sh scripts/dev $target"
echo "test-bare-debian: sh scripts/dev $target passed in $(($(date +%s) - start)) s; again (nothing to install):"
start=$(date +%s)
chroot "$root" env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 $extra_ca \
	sh -c "cd /root/ns-plug && sh scripts/dev $target" >/dev/null
echo "FIGURE bare Debian: second sh scripts/dev $target in $(($(date +%s) - start)) s"
