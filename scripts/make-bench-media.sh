#!/usr/bin/env bash
# Makes the bench's publisher input, if absent: bench/media/720p30-6mbps.flv, 20 s of 1280x720 30 fps
# H.264 (about 6 Mbit/s, keyframe every 2 s) + AAC 160 kbit/s 48 kHz stereo, looped by the bench with
# `ffmpeg -re -stream_loop -1 -c copy`. bench/media/ is git-ignored: the file is made, never committed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out_dir="$root/bench/media"
out="$out_dir/720p30-6mbps.flv"

if [[ -s "$out" ]]; then
  echo "bench media: $out already there"
  exit 0
fi
if ! command -v ffmpeg >/dev/null 2>&1; then
  echo "bench media: ffmpeg not found (Debian: apt-get install ffmpeg; macOS: brew install ffmpeg)" >&2
  exit 1
fi

mkdir -p "$out_dir"
tmp="$out_dir/.720p30-6mbps.flv.partial.$$"
trap 'rm -f "$tmp"' EXIT

echo "bench media: encoding $out (20 s of 720p30, about 15 s on 2 cores)"
ffmpeg -hide_banner -nostdin -nostats -loglevel warning -y \
  -f lavfi -i 'testsrc2=size=1280x720:rate=30' \
  -f lavfi -i 'sine=frequency=440:sample_rate=48000' \
  -t 20 \
  -c:v libx264 -preset veryfast -profile:v high -pix_fmt yuv420p \
  -b:v 6M -maxrate 6M -bufsize 12M -g 60 -keyint_min 60 -sc_threshold 0 \
  -c:a aac -b:a 160k -ar 48000 -ac 2 \
  -f flv "$tmp"
mv -f "$tmp" "$out"
trap - EXIT
echo "bench media: wrote $out ($(du -h "$out" | cut -f1))"
