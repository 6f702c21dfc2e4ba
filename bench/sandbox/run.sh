#!/usr/bin/env bash
# Command sandbox benchmark (issue 9, section 3): per-command latency of `echo hi` and of `git status` on a 200-file
# repository, run through a real Native AOT sidecar with each sandbox (None, Bubblewrap, GVisor), with the warm shell pool
# (default) and without it (every command spawns its sandbox). Prints p50/p99 and the overhead against None.
set -euo pipefail
usage() {
  cat <<'USAGE'
usage: bench/sandbox/run.sh [--requests N] [--gvisor-requests N] [--kinds None,Bubblewrap,GVisor] [--skip-publish]
USAGE
}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"
skip_publish=0
gen_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --requests|--gvisor-requests|--kinds)
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
require_tools dotnet git bwrap
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if ! command -v runsc >/dev/null; then
  echo "runsc (gVisor) not on PATH: measuring None and Bubblewrap only" >&2
  gen_args+=(--kinds None,Bubblewrap)
fi

aot_dir="$here/out/aot"
aot_bin="$aot_dir/Shadow.Sidecar"
if [[ $skip_publish -eq 1 && -x "$aot_bin" ]]; then
  echo "== reusing $aot_bin (--skip-publish)"
else
  publish_sidecar_aot "$aot_dir"
fi

echo "== dotnet build bench/sandbox/Shadow.Bench.Sandbox -c Release"
quiet dotnet build bench/sandbox/Shadow.Bench.Sandbox -c Release

tmp="$(mktemp -d "${TMPDIR:-/tmp}/shadow-bench-sandbox.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
ws="$tmp/workspace"
make_bench_workspace "$ws" || exit 1
echo "== workspace $ws: 200 files, git $(git -C "$ws" rev-parse --short HEAD); $(nproc) cores, $(uname -r)"

dotnet "$repo/artifacts/bin/Shadow.Bench.Sandbox/release/Shadow.Bench.Sandbox.dll" --sidecar "$aot_bin" --workspace "$ws" "${gen_args[@]}"
