#!/bin/bash
# Nothing of llcslice is left: no llcslice-* units, no llcslice-* cgroups.
SC=final
. /vm/sd/lib.sh
units() { systemctl list-units --all --no-legend 'llcslice-*'; }
groups() { find /sys/fs/cgroup -name 'llcslice-*' -type d; }
wait_for 120 eval '[[ -z $(units) && -z $(groups) ]]'
units | sed 's/^/  unit: /'
groups | sed 's/^/  cgroup: /'
ok "no llcslice-* unit or cgroup left" eval '[[ -z $(units) && -z $(groups) ]]'
exit 0
