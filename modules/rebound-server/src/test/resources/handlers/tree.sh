#!/bin/sh
# Starts a child that outlives any sane timeout, writes both pids to $1/, and waits.
sleep 30 &
echo $! > "$1/child.pid"
echo $$ > "$1/parent.pid"
wait
