#!/usr/bin/env bash
# Start-up cost of short CLI commands: `rocklet version` vs a bare `node -e 0`, side by side
# in one hyperfine run (medians of RUNS runs each, after warm-up). Needs: hyperfine, jq-free.
# Usage: bench/cli-start.sh [RUNS]   (run `npm run build` first)
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
RUNS=${1:-30}
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
hyperfine -N --warmup 5 --runs "$RUNS" --export-json "$OUT" \
  'node -e 0' \
  "node dist/rocklet/main.js version" \
  "node dist/rocklet/main.js --help" >/dev/null
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).results;
  const base = r[0].median;
  for (const x of r) console.log(`${x.command.padEnd(36)} median ${(x.median * 1000).toFixed(1)} ms  ratio ${(x.median / base).toFixed(2)}x`);
' "$OUT"
