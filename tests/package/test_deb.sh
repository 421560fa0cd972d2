#!/usr/bin/env bash
# The Debian package: dpkg-buildpackage -us -uc -b from a copy of the source tree (the .deb
# lands beside the copy, not beside the checkout), the package holds the binary, man pages,
# completion, examples and tmpfiles.d file, and its llcslice runs (`topo`). Installed for real
# with dpkg -i (then removed) when LLCSLICE_DEB_INSTALL=1 or in CI (CI=true): on a shared
# machine the extracted copy is run instead.
set -euo pipefail
SRC=${LLCSLICE_SRC:?run through ctest}
FIX=${LLCSLICE_FIXTURES:?}
T=$(mktemp -d /tmp/llcslice-deb-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
for tool in dpkg-buildpackage dh scdoc; do
    command -v "$tool" >/dev/null || fail "$tool missing: run scripts/deps.sh"
done
mkdir "$T/llcslice-0.1.0"
# the working tree as it is (new files included), without build directories
if git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$SRC" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) | tar -C "$T/llcslice-0.1.0" -xf -
else # a tarball: everything but build trees
    tar -C "$SRC" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$T/llcslice-0.1.0" -xf -
fi
(cd "$T/llcslice-0.1.0" && dpkg-buildpackage -us -uc -b >"$T/build.log" 2>&1) ||
    { tail -40 "$T/build.log"; fail "dpkg-buildpackage failed"; }
deb=$(ls "$T"/llcslice_0.1.0_*.deb)
echo "ok 1 - built $(basename "$deb") ($(stat -c %s "$deb") bytes)"

dpkg-deb -c "$deb" >"$T/contents"
for f in ./usr/bin/llcslice ./usr/share/man/man1/llcslice-run.1.gz ./usr/share/man/man1/llcslice.1.gz \
    ./usr/share/man/man5/llcslice-slots.yaml.5.gz ./usr/share/bash-completion/completions/llcslice \
    ./usr/share/zsh/vendor-completions/_llcslice ./usr/share/doc/llcslice/examples/kernel-builds.yaml \
    ./usr/lib/tmpfiles.d/llcslice.conf ./usr/share/doc/llcslice/copyright; do
    grep -q " $f\$" "$T/contents" || fail "$f not in the package: $(cat "$T/contents")"
done
echo "ok 2 - the package holds binary, man pages, completion, examples, tmpfiles.d"

dpkg-deb -x "$deb" "$T/root"
"$T/root/usr/bin/llcslice" topo --fsroot "$FIX/64amd64-4s2n4ca2co" >"$T/topo" || fail "packaged llcslice topo"
grep -q "LLC" "$T/topo" || fail "topo output: $(cat "$T/topo")"
echo "ok 3 - the packaged llcslice runs"

if [[ ${LLCSLICE_DEB_INSTALL:-} == 1 || ${CI:-} == true ]]; then
    dpkg -i "$deb" >/dev/null
    trap 'dpkg -r llcslice >/dev/null 2>&1 || true; rm -rf "$T"' EXIT
    /usr/bin/llcslice topo >/dev/null || fail "installed llcslice topo"
    man -w llcslice-run >/dev/null || fail "man llcslice-run after dpkg -i"
    echo "ok 4 - dpkg -i, llcslice topo, man llcslice-run"
fi
