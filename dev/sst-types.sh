#!/usr/bin/env bash
# Generates .sst/platform/ (SST's platform sources, its providers and their types), which
# sst.config.ts references for its globals. Idempotent: skipped when the platform is there and
# matches the installed `sst` version. Needs only the npm registry: the SST CLI comes from the
# `sst` package, and the bun it installs its providers with from the `bun` package (left to itself
# SST would download bun and Pulumi from GitHub; SST_SKIP_DEPENDENCY_CHECK stops that).
#
#   bash dev/sst-types.sh           generate if needed
#   bash dev/sst-types.sh --check   and type-check sst.config.ts against it (CI does this)
set -euo pipefail
cd "$(dirname "$0")/.."

want=$(node -p 'require("./node_modules/sst/package.json").version')
have=$(cat .sst/platform/version 2>/dev/null || true)
if [[ ! -f .sst/platform/config.d.ts || "$have" != "$want" ]]; then
  # The bun package's postinstall moves the platform binary to bin/bun.exe (its name on every OS);
  # without that step it is still in the platform package.
  bun=""
  for candidate in node_modules/bun/bin/bun.exe node_modules/@oven/bun-*/bin/bun; do
    if [[ -x "$candidate" ]] && "$candidate" --version >/dev/null 2>&1; then
      bun="$PWD/$candidate"
      break
    fi
  done
  if [[ -z "$bun" ]]; then
    echo "dev/sst-types.sh: no working bun binary in node_modules (is the bun devDependency installed?)" >&2
    exit 1
  fi
  echo "sst install: SST $want platform into .sst/platform"
  SST_SKIP_DEPENDENCY_CHECK=1 SST_TELEMETRY_DISABLED=1 SST_BUN_PATH="$bun" \
    npx --no-install sst install --stage dev
  echo
  test -f .sst/platform/config.d.ts
fi

if [[ "${1:-}" == "--check" ]]; then
  # The project's tsconfig (NodeNext) cannot resolve the platform's extensionless imports, so
  # there `sst`, `aws` and `$config` are untyped. Checked here as SST compiles it: bundler
  # resolution, SST's own strictness (the project's extra flags would fail on SST's sources).
  echo "tsc: sst.config.ts against SST's platform types"
  npx --no-install tsc --ignoreConfig --noEmit --target ES2022 --lib ES2023 --module ESNext \
    --moduleResolution Bundler --strict --esModuleInterop --skipLibCheck --isolatedModules \
    --allowImportingTsExtensions sst.config.ts
fi
