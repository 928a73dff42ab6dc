#!/bin/sh
# Writes 1 MiB to stdout and 1 MiB to stderr (far beyond a pipe's buffer), then fails with exit 3.
head -c 1048576 /dev/zero | tr '\0' 'o'
head -c 1048576 /dev/zero | tr '\0' 'e' >&2
echo >&2
echo "the end" >&2
exit 3
