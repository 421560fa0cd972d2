#!/bin/sh
# The job `llcslice run --cpus 1 -- true` does, by hand with the libcgroup tools: a cpuset
# group on CPU 1 / node 0, the command run in it, the group removed. Usage: cgtools_launch.sh NAME
set -e
g=$1
cgcreate -g "cpuset:/$g"
cgset -r cpuset.cpus=1 "$g"
cgset -r cpuset.mems=0 "$g"
cgexec -g "cpuset:$g" true
cgdelete -g "cpuset:/$g"
