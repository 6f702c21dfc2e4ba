#!/usr/bin/env bash
# Agent benchmark (issue 6, section 10; design section 2): publishes the Native AOT sidecar, makes a bare git repo of 200
# small files and runs Shadow.Bench.Agent, which hosts a real silo in-process (SQLite store, Local runtime, scripted agent)
# and prints agent overhead per step, bytes written per step and commit + push of a turn against the targets. Not a timed
# test. See bench/agent/README.md.
set -euo pipefail

usage() {
  cat <<'EOF2'
usage: bench/agent/run.sh [options]
  --quick            smoke run: 40 todo_write steps, 10 read_file steps, 10 commits per row
  --steps N          todo_write calls of the measured turn (default 200: 401 steps)
  --read-steps N     read_file calls of the sidecar turn (default 50)
  --warmup-steps N   todo_write calls of the unmeasured warm-up turn (default 20)
  --commits N        measured commits per row (default 50)
  --keep             keep the temp data folder (shadow.db) and print its path
  --skip-publish     reuse bench/agent/out/sidecar-aot if it exists (the AOT publish takes 1-3 minutes)
  --jit-sidecar      run the sidecar as a Release JIT build (dotnet build) instead of Native AOT: the AOT sidecar
                     aborts on GET /git/diff with changes (see README), so only this measures the end-of-turn rows
  --strict           exit 1 when a target is missed (default: only harness errors exit 1)
  -h, --help         this text
EOF2
}

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"

skip_publish=0
jit_sidecar=0
gen_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick|--strict|--keep) gen_args+=("$1") ;;
    --steps|--read-steps|--warmup-steps|--commits)
      [[ $# -ge 2 ]] || { echo "$1 needs a value" >&2; exit 2; }
      gen_args+=("$1" "$2"); shift ;;
    --skip-publish) skip_publish=1 ;;
    --jit-sidecar) jit_sidecar=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=../common/bench.sh
source "$repo/bench/common/bench.sh"
require_tools dotnet git

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

aot_dir="$here/out/sidecar-aot"
sidecar_bin="$aot_dir/Shadow.Sidecar"
meta=()
if [[ $jit_sidecar -eq 1 ]]; then
  echo "== dotnet build src/Shadow.Sidecar -c Release (JIT sidecar, --jit-sidecar)"
  quiet dotnet build src/Shadow.Sidecar -c Release
  sidecar_bin="$repo/artifacts/bin/Shadow.Sidecar/release/Shadow.Sidecar"
  meta+=(--meta "sidecarBuild=jit")
elif [[ $skip_publish -eq 1 && -x "$sidecar_bin" ]]; then
  echo "== reusing $sidecar_bin (--skip-publish)"
  meta+=(--meta "sidecarBuild=aot")
else
  publish_sidecar_aot "$aot_dir"
  meta+=(--meta "aotPublishSeconds=$publish_seconds" --meta "sidecarBuild=aot")
fi

echo "== dotnet build bench/agent/Shadow.Bench.Agent -c Release"
quiet dotnet build bench/agent/Shadow.Bench.Agent -c Release

# The repository: a bare git repo of exactly 200 small files, outside the Shadow repo (the task's shadow branch is pushed to it).
tmp="$(mktemp -d "${TMPDIR:-/tmp}/shadow-agentbench.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
ws="$tmp/workspace"
make_bench_workspace "$ws" || exit 1
git clone -q --bare "$ws" "$tmp/repo.git"
echo "== repo $tmp/repo.git: 200 files, git $(git -C "$ws" rev-parse --short HEAD)"
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

status=0
dotnet "$repo/artifacts/bin/Shadow.Bench.Agent/release/Shadow.Bench.Agent.dll" \
  --sidecar "$sidecar_bin" --repo "$tmp/repo.git" \
  --meta "loadAvgBefore=$(cut -d' ' -f1 /proc/loadavg)" "${meta[@]}" --out "$here/results/latest.json" "${gen_args[@]}" || status=$?
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg) (2 cores are shared: above ~2 the numbers include waiting for a CPU)"
exit $status
