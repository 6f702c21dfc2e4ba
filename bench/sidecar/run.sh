#!/usr/bin/env bash
# Sidecar benchmark (issue 4, section 5): publishes the sidecar with Native AOT (and optionally a JIT build), makes a
# git workspace of 200 small files, and runs the load generator against it. See bench/sidecar/README.md.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bench/sidecar/run.sh [options]
  --quick            smoke run: 300 requests, 50 warm-up, 2 s concurrent phase, 3 cold starts
  --requests N       sequential requests per scenario (default 2000)
  --duration S       seconds of the 10-connection phase (default 10)
  --jit              also measure a JIT build (dotnet build -c Release) for comparison
  --skip-publish     reuse bench/sidecar/out/aot if it exists (the AOT publish takes 1-3 minutes)
  --scenarios LIST   only these: health,read,write,list,exec,git-status
  --strict           exit 1 when a target is missed (default: only harness errors exit 1)
  -h, --help         this text
EOF
}

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"

jit=0
skip_publish=0
gen_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) gen_args+=(--quick) ;;
    --strict) gen_args+=(--strict) ;;
    --requests|--duration|--scenarios)
      [[ $# -ge 2 ]] || { echo "$1 needs a value" >&2; exit 2; }
      gen_args+=("$1" "$2"); shift ;;
    --jit) jit=1 ;;
    --skip-publish) skip_publish=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=../common/bench.sh
source "$repo/bench/common/bench.sh"
require_tools dotnet git

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1


aot_dir="$here/out/aot"
aot_bin="$aot_dir/Shadow.Sidecar"
publish_seconds=""
if [[ $skip_publish -eq 1 && -x "$aot_bin" ]]; then
  echo "== reusing $aot_bin (--skip-publish)"
else
  publish_sidecar_aot "$aot_dir"
fi

sidecars=(--sidecar "aot=$aot_bin")
if [[ $jit -eq 1 ]]; then
  echo "== dotnet build src/Shadow.Sidecar -c Release (JIT)"
  quiet dotnet build src/Shadow.Sidecar -c Release
  sidecars+=(--sidecar "jit=$repo/artifacts/bin/Shadow.Sidecar/release/Shadow.Sidecar")
fi

echo "== dotnet build bench/sidecar/Shadow.Bench.Sidecar -c Release"
quiet dotnet build bench/sidecar/Shadow.Bench.Sidecar -c Release

# The workspace: a real git repo of exactly 200 small files, outside the Shadow repo.
tmp="$(mktemp -d "${TMPDIR:-/tmp}/shadow-bench.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
ws="$tmp/workspace"
make_bench_workspace "$ws" || exit 1
count=200
echo "== workspace $ws: $count files, git $(git -C "$ws" rev-parse --short HEAD)"

meta=(--meta "aotBinaryBytes=$(stat -c %s "$aot_bin")")
[[ -n "$publish_seconds" ]] && meta+=(--meta "aotPublishSeconds=$publish_seconds")

echo "== load generator"
dotnet "$repo/artifacts/bin/Shadow.Bench.Sidecar/release/Shadow.Bench.Sidecar.dll" \
  --workspace "$ws" "${sidecars[@]}" "${meta[@]}" --out "$here/results/latest.json" "${gen_args[@]}"
