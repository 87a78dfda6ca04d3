#!/bin/sh
# sum.sh FILE - the sum of FILE's second comma-separated column.
awk -F, '{s += $2} END {print s}' "$1"
