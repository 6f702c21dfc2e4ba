#!/usr/bin/env bash
# Gateway benchmark (design section 7): publishes the Native AOT sidecar and the gateway, makes a bare git repo of 200
# small files, starts the real gateway (co-hosted silo, local runtime) as a process and runs the load generator against
# it. Prints numbers against the targets; not a timed test. See bench/gateway/README.md.
set -euo pipefail

usage() {
  cat <<'EOF2'
usage: bench/gateway/run.sh [options]
  --quick            smoke run: 5 creates each, 300 reads, 2 s at c10, 50 MB terminal, 3 replays, 1,000 idle tasks
  --runs N           measured creates, warm and cold each (default 20)
  --requests N       sequential read_file requests (default 2000)
  --duration S       seconds of the 10-connection read_file phase (default 10)
  --terminal-mb N    MiB the terminal command writes (default 200)
  --idle-tasks N     tasks for the idle-task RSS scenario (default 10000)
  --idle-sidecar P   what the idle gateway spawns: /bin/false (default; init fails at CreateWorkspace) or "real"
  --idle-concurrency N  task inits in flight at once in the idle scenario (default 8)
  --scenarios LIST   only these: warm,cold,read,terminal,replay,idle
  --skip-publish     reuse bench/gateway/out/ if it exists (the AOT publish takes 1-3 minutes)
  --strict           exit 1 when a target is missed (default: only harness errors exit 1)
  -h, --help         this text
EOF2
}

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"

skip_publish=0
gen_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) gen_args+=(--quick) ;;
    --strict) gen_args+=(--strict) ;;
    --runs|--requests|--duration|--terminal-mb|--idle-tasks|--idle-sidecar|--idle-concurrency|--scenarios)
      [[ $# -ge 2 ]] || { echo "$1 needs a value" >&2; exit 2; }
      gen_args+=("$1" "$2"); shift ;;
    --skip-publish) skip_publish=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=../common/bench.sh
source "$repo/bench/common/bench.sh"
require_tools dotnet git perl yes head

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1


aot_dir="$here/out/sidecar-aot"
aot_bin="$aot_dir/Shadow.Sidecar"
gw_dir="$here/out/gateway"
gw_dll="$gw_dir/Shadow.Gateway.dll"
meta=()
if [[ $skip_publish -eq 1 && -x "$aot_bin" && -f "$gw_dll" ]]; then
  echo "== reusing $aot_bin and $gw_dll (--skip-publish)"
else
  publish_sidecar_aot "$aot_dir"
  meta+=(--meta "aotPublishSeconds=$publish_seconds")

  # Release, JIT: the gateway as it is deployed without AOT.
  echo "== dotnet publish src/Shadow.Gateway -c Release"
  quiet dotnet publish src/Shadow.Gateway -c Release -o "$gw_dir"
fi

echo "== dotnet build bench/gateway/Shadow.Bench.Gateway -c Release"
quiet dotnet build bench/gateway/Shadow.Bench.Gateway -c Release

# The repository: a bare git repo of exactly 200 small files (the shadow branch is pushed to it), outside the Shadow repo,
# and a checkout of it for the standalone sidecar.
tmp="$(mktemp -d "${TMPDIR:-/tmp}/shadow-gwbench.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
ws="$tmp/workspace"
make_bench_workspace "$ws" || exit 1
count=200
git clone -q --bare "$ws" "$tmp/repo.git"
echo "== repo $tmp/repo.git: $count files, git $(git -C "$ws" rev-parse --short HEAD)"

echo "== load generator"
dotnet "$repo/artifacts/bin/Shadow.Bench.Gateway/release/Shadow.Bench.Gateway.dll" \
  --gateway "$gw_dll" --sidecar "$aot_bin" --repo "$tmp/repo.git" --workspace "$ws" \
  --meta "aotBinaryBytes=$(stat -c %s "$aot_bin")" "${meta[@]}" --out "$here/results/latest.json" "${gen_args[@]}"
