#!/bin/sh
# Validates the desktop entry, AppStream metainfo and MIME type description
# with the freedesktop tools. Exit 77 (skip) when a validator is missing so
# machines without them still pass; exit 1 on the first invalid file.
#
# Usage: test-desktop-files.sh DATA_DIR   (the source tree's data/ folder)
set -u

data=${1:?usage: test-desktop-files.sh DATA_DIR}
id=io.github.spatialrecovery.SpatialRecovery

for tool in desktop-file-validate appstreamcli appstream-util xmllint; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIP: $tool is not installed"
    exit 77
  fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sr-desktop-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

# The validators judge a file by its name, so give the .in templates the
# names they are installed under.
cp "$data/$id.desktop.in" "$tmp/$id.desktop" || exit 1
cp "$data/$id.metainfo.xml.in" "$tmp/$id.metainfo.xml" || exit 1

status=0
run() {
  echo "+ $*"
  if ! "$@"; then
    echo "FAIL: $*"
    status=1
  fi
}

run desktop-file-validate "$tmp/$id.desktop"
run appstreamcli validate --no-net "$tmp/$id.metainfo.xml"
run appstream-util validate-relax --nonet "$tmp/$id.metainfo.xml"
run xmllint --noout "$data/$id.mime.xml"

# The three files must agree on the project MIME type and the binaries.
mime=application/x-spatial-recovery-project
grep -q "MimeType=.*$mime;" "$tmp/$id.desktop" || { echo "FAIL: desktop file lacks $mime"; status=1; }
grep -q "<mediatype>$mime</mediatype>" "$tmp/$id.metainfo.xml" || { echo "FAIL: metainfo lacks $mime"; status=1; }
grep -q "type=\"$mime\"" "$data/$id.mime.xml" || { echo "FAIL: MIME XML lacks $mime"; status=1; }
grep -q '<glob pattern="\*.srproj"/>' "$data/$id.mime.xml" || { echo "FAIL: MIME XML lacks *.srproj"; status=1; }
grep -q "<launchable type=\"desktop-id\">$id.desktop</launchable>" "$tmp/$id.metainfo.xml" ||
  { echo "FAIL: metainfo launchable is not $id.desktop"; status=1; }
for bin in spatial-recovery spatial-recovery-cli; do
  grep -q "<binary>$bin</binary>" "$tmp/$id.metainfo.xml" || { echo "FAIL: metainfo does not provide $bin"; status=1; }
done
grep -q "^Icon=$id\$" "$tmp/$id.desktop" || { echo "FAIL: desktop Icon is not $id"; status=1; }
for icon in "$data/icons/hicolor/scalable/apps/$id.svg" \
            "$data/icons/hicolor/symbolic/apps/$id-symbolic.svg"; do
  run xmllint --noout "$icon"
done

exit $status
