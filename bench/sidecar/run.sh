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

for tool in dotnet git; do
  command -v "$tool" >/dev/null || { echo "$tool is required on PATH" >&2; exit 2; }
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# Runs a command quietly; prints its whole output if it fails.
quiet() {
  local log
  log="$(mktemp)"
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "failed: $*" >&2
    exit 1
  fi
  rm -f "$log"
}

aot_dir="$here/out/aot"
aot_bin="$aot_dir/Shadow.Sidecar"
publish_seconds=""
if [[ $skip_publish -eq 1 && -x "$aot_bin" ]]; then
  echo "== reusing $aot_bin (--skip-publish)"
else
  echo "== dotnet publish src/Shadow.Sidecar (Native AOT, linux-x64)"
  log="$(mktemp)"
  start=$(date +%s.%N)
  if ! dotnet publish src/Shadow.Sidecar -c Release -r linux-x64 -o "$aot_dir" >"$log" 2>&1; then
    cat "$log" >&2
    echo "AOT publish failed (trim/AOT warnings are errors here: TreatWarningsAsErrors)" >&2
    exit 1
  fi
  publish_seconds=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
  warnings=$(grep -cE 'warning (IL|CS|CA)[0-9]+' "$log" || true)
  echo "   published in ${publish_seconds} s, ${warnings} warning line(s), binary $(du -h "$aot_bin" | cut -f1)"
  grep -E 'warning (IL|CS|CA)[0-9]+' "$log" | sort -u >&2 || true
  rm -f "$log"
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
# shellcheck source=../common/workspace.sh
source "$repo/bench/common/workspace.sh"
make_bench_workspace "$ws" || exit 1
count=200
echo "== workspace $ws: $count files, git $(git -C "$ws" rev-parse --short HEAD)"

meta=(--meta "aotBinaryBytes=$(stat -c %s "$aot_bin")")
[[ -n "$publish_seconds" ]] && meta+=(--meta "aotPublishSeconds=$publish_seconds")

echo "== load generator"
dotnet "$repo/artifacts/bin/Shadow.Bench.Sidecar/release/Shadow.Bench.Sidecar.dll" \
  --workspace "$ws" "${sidecars[@]}" "${meta[@]}" --out "$here/results/latest.json" "${gen_args[@]}"
