#!/usr/bin/env bash
# Refresh the vendored front-end assets from the npm registry (no CDN at run time).
set -euo pipefail
cd "$(dirname "$0")/.."
BOOTSTRAP=${BOOTSTRAP:-5.3.9}
HTMX=${HTMX:-2.0.11}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "bootstrap@$BOOTSTRAP" "htmx.org@$HTMX" >/dev/null)
tar xzf "$work/bootstrap-$BOOTSTRAP.tgz" -C "$work" && mv "$work/package" "$work/bootstrap"
tar xzf "$work/htmx.org-$HTMX.tgz" -C "$work" && mv "$work/package" "$work/htmx"
mkdir -p static/vendor/bootstrap static/vendor/htmx
cp "$work"/bootstrap/dist/css/bootstrap.min.css{,.map} "$work"/bootstrap/dist/js/bootstrap.bundle.min.js{,.map} \
   "$work"/bootstrap/LICENSE static/vendor/bootstrap/
cp "$work"/htmx/dist/htmx.min.js "$work"/htmx/LICENSE static/vendor/htmx/
echo "bootstrap $BOOTSTRAP and htmx $HTMX copied to static/vendor; update static/vendor/VERSIONS.md"
