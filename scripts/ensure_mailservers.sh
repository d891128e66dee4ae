#!/usr/bin/env bash
# Installs Debian's Dovecot (IMAP, LMTP) and Postfix for the tests that run real mail servers (tests/mailservers.py),
# only when one is missing. Runs as root (or through sudo), non-interactively; Postfix is preseeded "Local only".
# The tests run their own instances (own configuration, free loopback ports), so a system-wide instance started
# by the package install does not get in their way.
set -euo pipefail
missing=()
[ -x /usr/sbin/dovecot ] && [ -x /usr/lib/dovecot/imap ] || missing+=(dovecot-imapd)
[ -x /usr/lib/dovecot/lmtp ] || missing+=(dovecot-lmtpd)
[ -x /usr/sbin/postfix ] || missing+=(postfix)
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
        echo "ensure_mailservers: ${missing[*]} missing and this is not root; run: apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
printf '%s\n' "postfix postfix/main_mailer_type select Local only" "postfix postfix/mailname string localhost" \
    | $SUDO debconf-set-selections
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
test -x /usr/sbin/dovecot && test -x /usr/lib/dovecot/lmtp && test -x /usr/sbin/postfix
