#!/usr/bin/env bash
# Installs what EnterCRM needs to build, run and test on Debian 12.
#
# Debian packages are checked with dpkg first; apt-get runs only when something is
# missing, and never starts the system MariaDB or nginx services (policy-rc.d).
# Python packages for the end-to-end tests are installed with pip when missing.
# The Swift toolchain itself is expected at /opt/swift or on PATH.
set -euo pipefail

DEBIAN_PACKAGES=(
  libfcgi-dev libmariadb-dev libssl-dev libcurl4-openssl-dev zlib1g-dev pkg-config mariadb-server mariadb-client nginx-light wrk openssl curl
  procps gcc libc6-dev python3-pip chromium chromium-driver fonts-dejavu-core
  galera-4 mariadb-backup socat rsync libjs-chart.js
)
# module name:pip name
PYTHON_PACKAGES=(pytest:pytest requests:requests selenium:selenium aiosmtpd:aiosmtpd schemathesis:schemathesis yaml:pyyaml segment.analytics:segment-analytics-python==2.4.0)

log() { printf 'deps: %s\n' "$*" >&2; }

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    log "missing Debian packages: ${missing[*]}"
    log "run as root:  apt-get update && apt-get install -y ${missing[*]}"
    exit 1
  fi
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Keep package scripts from starting the system services: the project runs its own
  # private MariaDB and nginx. Only add a policy when none is there, and remove ours after.
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 0755 "$policy"
    own_policy=1
  fi
  cleanup() { if ((own_policy)); then rm -f "$policy"; fi; }
  trap cleanup EXIT
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

python=${PYTHON:-python3}
pip_missing=()
for entry in "${PYTHON_PACKAGES[@]}"; do
  module=${entry%%:*}
  if ! "$python" -c "import $module" >/dev/null 2>&1; then
    pip_missing+=("${entry#*:}")
  fi
done

if ((${#pip_missing[@]})); then
  log "installing Python packages: ${pip_missing[*]}"
  pip_args=(install --quiet --disable-pip-version-check --root-user-action=ignore)
  # Debian's own python3 is "externally managed" (PEP 668); the test tools go next to it.
  if "$python" -c 'import sys, sysconfig, os; sys.exit(0 if os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")) else 1)'; then
    pip_args+=(--break-system-packages)
  fi
  if [[ $(id -u) -ne 0 ]] && ! "$python" -c 'import sys; sys.exit(0 if sys.prefix != sys.base_prefix else 1)'; then
    # Not root and not in a virtualenv: install for this user only.
    if ! "$python" -c 'import os, sysconfig, sys; sys.exit(0 if os.access(sysconfig.get_path("purelib"), os.W_OK) else 1)'; then
      pip_args+=(--user)
    fi
  fi
  "$python" -m pip "${pip_args[@]}" "${pip_missing[@]}"
fi

command -v swift >/dev/null 2>&1 || [[ -x /opt/swift/usr/bin/swift ]] ||
  log "warning: no Swift toolchain found (expected swift on PATH or /opt/swift/usr/bin/swift)"
exit 0
