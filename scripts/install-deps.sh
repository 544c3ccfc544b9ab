#!/bin/sh
# Install what building, testing and the demo need on a fresh Debian machine:
# the Debian packages of the real components (OpenVPN, gpg, rsyslog,
# Alertmanager, shellcheck, …) and the npm packages from the lock file.
# Idempotent and quick when everything is already there.
set -eu
cd "$(dirname "$0")/.."

DEB_PACKAGES="openvpn easy-rsa gnupg gnupg1 rsyslog prometheus-alertmanager victoria-metrics shellcheck wrk strace jq iputils-ping iproute2 openssl curl tar gzip openssh-server"

missing=""
for p in $DEB_PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "install-deps: missing Debian packages:$missing (run as root, or install them)" >&2
		exit 1
	fi
	echo "install-deps: installing$missing"
	# Package scripts may try to start services (Alertmanager on :9093); tests never rely on them.
	# A fresh CI machine can meet a mirror mid-sync: try a few times before giving up.
	for try in 1 2 3; do
		# shellcheck disable=SC2086 # $missing is a word list
		if apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null; then
			break
		fi
		[ "$try" -eq 3 ] && exit 1
		echo "install-deps: apt-get failed, retrying in 10 s" >&2
		sleep 10
	done
fi

# npm ci only when the lock file changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ -n "$(find package-lock.json -newer node_modules/.package-lock.json)" ]; then
	npm ci --no-audit --no-fund
fi
