# Shared by scripts/test and scripts/bench: sourced, not run.
# shellcheck shell=bash

step() { printf '\n==> %s\n' "$*"; }
fail() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }

# ensure_packages COMMAND:PACKAGE ...: installs the Debian package of every missing command with
# apt-get when running as root, or says exactly what to install.
ensure_packages() {
  local pair command package missing=()
  for pair in "$@"; do
    command=${pair%%:*}
    package=${pair#*:}
    if [[ $command == /* ]]; then
      compgen -G "$command" >/dev/null || missing+=("$package")
    else
      command -v "$command" >/dev/null || missing+=("$package")
    fi
  done
  if [[ ${#missing[@]} == 0 ]]; then
    echo "all present"
    return
  fi
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "installing: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    fail "missing system packages; install them with: sudo apt-get install ${missing[*]}"
  fi
}

# free_port FROM: the first port from FROM up that nothing on loopback listens on.
free_port() {
  local port=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  echo "$port"
}

# GMP is built from source once (about a minute) and cached across clean clones.
export GMP_MPFR_SYS_CACHE=${GMP_MPFR_SYS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fibstack/gmp}
