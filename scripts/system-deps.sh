#!/usr/bin/env bash
# Install the system packages the build and the browser tests use, where they are missing:
# gettext (msgfmt, to compile the translation catalogues) and Debian's Chromium.
# Usage: system-deps.sh [gettext] [chromium]
set -eu
need=()
for want in "$@"; do
  case "$want" in
    gettext) command -v msgfmt >/dev/null 2>&1 || need+=(gettext) ;;
    chromium) [ -x /usr/bin/chromium ] || need+=(chromium chromium-driver fonts-noto-core fonts-noto-cjk) ;;
  esac
done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing system packages: ${need[*]}. Install them (Debian: apt-get install ${need[*]}) and run again." >&2
  exit 1
fi
echo "Installing system packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
