#!/bin/sh
# Records what the process handler gave it: the payload (stdin), the environment and the directory.
# $1: a path prefix for the files it writes.
cat > "$1.payload"
printf '%s\n%s\n%s\n%s\n' "$REBOUND_ITEM_ID" "$REBOUND_ATTEMPT" "$REBOUND_QUEUE" "$REBOUND_EXECUTION" > "$1.env"
pwd > "$1.pwd"
echo "done"
