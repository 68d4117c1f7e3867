#!/usr/bin/env bash
# Print the path of a Python >= 3.12 (Django 6 needs it), or explain what is missing and fail.
set -u
candidates=(python3.13 python3.12 python3)
for dir in "$HOME"/.pyenv/versions/3.13* "$HOME"/.pyenv/versions/3.12* /usr/local/bin /usr/bin; do
  [ -x "$dir/bin/python3" ] && candidates+=("$dir/bin/python3")
  [ -x "$dir/python3.13" ] && candidates+=("$dir/python3.13")
  [ -x "$dir/python3.12" ] && candidates+=("$dir/python3.12")
done
for candidate in "${candidates[@]}"; do
  path=$(command -v "$candidate" 2>/dev/null) || continue
  if "$path" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
    echo "$path"
    exit 0
  fi
done
echo "Opinia needs Python 3.12 or newer (Django 6), with the venv module; none was found." >&2
echo "Install one (for example 'pyenv install 3.12' or 'apt-get install python3.12-venv') and run make again." >&2
exit 1
