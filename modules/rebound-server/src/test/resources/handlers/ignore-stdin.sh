#!/bin/sh
# Never reads its stdin.
exit 0
