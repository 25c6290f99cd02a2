#!/usr/bin/env bash
# Starts the restream server (building it first when needed) and says where everything is:
# the dashboard URL, the OBS server URL and where the admin password comes from.
#   ./start_server.sh                      defaults: dashboard :8080, RTMP :1935, data in ./data
#   HTTP_PORT=9000 ./start_server.sh       any option as an environment variable (restream --help)
#   ./start_server.sh --log-level debug    or as a flag of `restream serve`
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

if ! command -v node >/dev/null 2>&1; then
  echo 'Node.js is not installed: run ./setup.sh first.' >&2
  exit 1
fi
if [[ ! -d node_modules ]]; then
  echo 'The npm packages are not installed: run ./setup.sh first.' >&2
  exit 1
fi
# The server builds itself when src/ changed (npm start does the same); the dashboard is built by
# `npm run build`, so build everything once when it is missing.
if [[ ! -f dist/web/index.html ]]; then
  echo '==> building the server and the dashboard (npm run build)'
  npm run build
fi

http_port="${HTTP_PORT:-8080}"
rtmp_port="${RTMP_PORT:-1935}"
data_dir="${DATA_DIR:-./data}"
# The address other machines on the network reach this one by (OBS usually runs elsewhere).
host=''
if command -v hostname >/dev/null 2>&1; then host="$(hostname -I 2>/dev/null | awk '{print $1}' || true)"; fi
if [[ -z "$host" ]] && command -v ipconfig >/dev/null 2>&1; then host="$(ipconfig getifaddr en0 2>/dev/null || true)"; fi
host="${host:-localhost}"

echo
scheme=http
[[ -n "${HTTPS_CERT:-}" ]] && scheme=https
echo "  Dashboard:       ${scheme}://${host}:${http_port}/   (on this machine: ${scheme}://localhost:${http_port}/)"
echo "  OBS server:      rtmp://${host}:${rtmp_port}/live"
echo "  OBS stream key:  in the dashboard, OBS setup page"
if [[ -n "${RESTREAM_ADMIN_PASSWORD:-}" ]]; then
  echo '  Admin password:  the value of RESTREAM_ADMIN_PASSWORD'
elif [[ -f "${data_dir}/restream.db" ]]; then
  echo '  Admin password:  the one printed when the server first started (only its hash is stored;'
  echo '                   to reset it, start once with RESTREAM_ADMIN_PASSWORD=your-new-password)'
else
  echo '  Admin password:  printed below, once, on this first start (or set RESTREAM_ADMIN_PASSWORD)'
fi
echo "  Data:            ${data_dir}"
echo

node scripts/ensure-built.js
exec node bin/restream.js serve "$@"
