#!/bin/sh
# The production tree of one app, as its image holds it under /srv (Dockerfile.api / Dockerfile.worker run
# this; tools/images tests the same tree). Run from the repository root after `pnpm install --frozen-lockfile`:
#
#   sh deploy/build-layout.sh api|worker OUT_DIR
#
# OUT_DIR/apps/<app>: `pnpm deploy --prod` — the app's package with production dependencies only, workspace
# packages copied in (they export TypeScript; tsx, a runtime dependency, loads them). For the API also
# OUT_DIR/apps/web: the built settings page where the API looks for it (apps/api/src/http/static-web.ts).
set -eu
app="${1:?usage: build-layout.sh api|worker OUT_DIR}"
out="${2:?usage: build-layout.sh api|worker OUT_DIR}"
case "$app" in api | worker) ;; *) echo "unknown app: $app" >&2; exit 2 ;; esac
rm -rf "$out"
mkdir -p "$out/apps"
pnpm --filter "@zb/$app" deploy --prod "$out/apps/$app"
# Tests, test configs and lockfile copies are not part of the runtime.
find "$out/apps/$app" -path "*/node_modules/.pnpm" -prune -o \( -name "*.test.ts" -o -name "vitest.config.ts" \) -print | xargs rm -f
if [ "$app" = api ]; then
  [ -f apps/web/dist/index.html ] || pnpm --filter @zb/web build
  mkdir -p "$out/apps/web"
  cp -R apps/web/dist apps/web/package.json "$out/apps/web/"
fi
