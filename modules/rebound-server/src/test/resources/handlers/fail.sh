#!/bin/sh
# Reads its stdin, writes $2 to stderr and exits with $1.
cat > /dev/null
echo "starting" >&2
printf '%s\n' "$2" >&2
exit "$1"
