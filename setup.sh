#!/usr/bin/env bash
# One-time setup for the restream server on Linux or macOS; safe to run again.
#   ./setup.sh && npm start
# Checks Node.js (>= 22), installs ffmpeg when missing (it conforms fallback videos), installs the
# npm dependencies and builds. It says what it does before doing anything that needs root.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

say() { printf '\033[1m==>\033[0m %s\n' "$*"; }
fail() {
  printf '\033[31mxx\033[0m %s\n' "$*" >&2
  exit 1
}

# --- Node.js ---------------------------------------------------------------------------------------
node_help() {
  cat >&2 <<'EOF'
Install Node.js 22 (LTS) or newer (24 is fine), then run ./setup.sh again:
  - any system:     https://nodejs.org/en/download  (or nvm: `nvm install 22`)
  - macOS:          brew install node@22
  - Debian/Ubuntu:  the distribution's nodejs may be older; use nodejs.org's packages or nvm
  - Fedora:         sudo dnf install nodejs
EOF
}
if ! command -v node >/dev/null 2>&1; then
  node_help
  fail 'Node.js is not installed.'
fi
node_version="$(node --version)"
if ! node -e '
  const major = Number(process.versions.node.split(".")[0]);
  process.exit(major >= 22 ? 0 : 1);
'; then
  node_help
  fail "Node.js $node_version is too old: 22 or newer is needed (Node 20 reached its end of life in April 2026)."
fi
command -v npm >/dev/null 2>&1 || fail "npm is missing (it comes with Node.js; reinstall Node.js $node_version with npm)."
say "Node.js $node_version, npm $(npm --version)"

# --- ffmpeg ----------------------------------------------------------------------------------------
as_root() {
  if [[ "$(id -u)" -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    fail "need root for: $* (run it as root, or install sudo)"
  fi
}

if command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1; then
  say "ffmpeg: $(ffmpeg -hide_banner -version | head -n1)"
else
  case "$(uname -s)" in
    Darwin)
      command -v brew >/dev/null 2>&1 ||
        fail 'ffmpeg is missing and Homebrew is not installed: install Homebrew (https://brew.sh) or ffmpeg, then run ./setup.sh again.'
      say 'ffmpeg is missing: installing it with Homebrew (brew install ffmpeg)'
      brew install ffmpeg
      ;;
    Linux)
      if command -v apt-get >/dev/null 2>&1; then
        say 'ffmpeg is missing: installing it with apt-get (apt-get update && apt-get install -y ffmpeg)'
        as_root apt-get update
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y ffmpeg
      elif command -v dnf >/dev/null 2>&1; then
        say 'ffmpeg is missing: installing it with dnf (dnf install -y ffmpeg)'
        as_root dnf install -y ffmpeg ||
          fail 'dnf could not install ffmpeg: on Fedora it comes from RPM Fusion (https://rpmfusion.org/Configuration); enable it and run ./setup.sh again.'
      else
        fail 'ffmpeg is missing and neither apt-get nor dnf is here: install ffmpeg (with ffprobe) and run ./setup.sh again.'
      fi
      ;;
    *)
      fail "ffmpeg is missing: install ffmpeg (with ffprobe) for $(uname -s) and run ./setup.sh again."
      ;;
  esac
  command -v ffmpeg >/dev/null 2>&1 || fail 'ffmpeg is still not on PATH after installing it.'
  say "ffmpeg: $(ffmpeg -hide_banner -version | head -n1)"
fi

# --- jemalloc (optional) ----------------------------------------------------------------------------
# The server runs with jemalloc where it is installed: it gives back the memory that hostile connection
# floods use, which glibc's malloc keeps (src/allocator.ts). Debian/Ubuntu only; elsewhere glibc's serves.
if [[ "$(uname -s)" == Linux ]] && command -v apt-get >/dev/null 2>&1 &&
  ! ls /usr/lib/*/libjemalloc.so.2 >/dev/null 2>&1; then
  say 'installing jemalloc (apt-get install -y libjemalloc2)'
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y libjemalloc2 ||
    say 'could not install libjemalloc2: the server will use the system allocator'
fi

# --- dependencies and build ------------------------------------------------------------------------
if [[ -f package-lock.json ]]; then
  if [[ -f node_modules/.package-lock.json && ! package-lock.json -nt node_modules/.package-lock.json ]]; then
    say 'npm dependencies are up to date'
  else
    say 'installing npm dependencies (npm ci)'
    npm ci --no-audit --no-fund
  fi
else
  say 'installing npm dependencies (npm install: no package-lock.json)'
  npm install --no-audit --no-fund
fi

say 'building (npm run build)'
npm run build

echo
say 'Ready. Next: npm start'
echo '    (each start prints the dashboard URL, the OBS server URL and where to find the stream key;'
echo '     the first start also prints the generated admin password)'
