#!/usr/bin/env bash
# MicroVM benchmark (issue 10, section 5): publishes the Native AOT sidecar, builds the guest image (cached under
# bench/microvm/out/cache), then measures with the real MicroVm runtime: resume from the saved VM state to the first tool
# call (target < 500 ms under TCG), RSS per VM, N VMs started at once, and cold boots to the first tool call.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: bench/microvm/run.sh [options]
  --runs N          sequential resumes (default 10)
  --parallel N      VMs started at once (default 10)
  --cold N          cold boots (default 3; 0 skips them)
  --accelerator A   Auto | Kvm | Tcg (default Auto: KVM only when a probe boots the guest with it)
  --skip-publish    reuse bench/microvm/out/aot if it exists
  -h, --help        this text
USAGE
}

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"
runs=10 parallel=10 cold=3 accelerator=Auto skip_publish=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) runs="$2"; shift ;;
    --parallel) parallel="$2"; shift ;;
    --cold) cold="$2"; shift ;;
    --accelerator) accelerator="$2"; shift ;;
    --skip-publish) skip_publish=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=../common/bench.sh
source "$repo/bench/common/bench.sh"
require_tools dotnet git qemu-system-x86_64 busybox cpio
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

aot_dir="$here/out/aot"
if [[ $skip_publish -eq 1 && -x "$aot_dir/Shadow.Sidecar" ]]; then
  echo "== reusing $aot_dir/Shadow.Sidecar (--skip-publish)"
else
  publish_sidecar_aot "$aot_dir"
fi

echo "== dotnet build bench/microvm (Release)"
quiet dotnet build "$here/Shadow.Bench.MicroVm" -c Release -nologo
data="$(mktemp -d /tmp/shadow-bench-microvm.XXXXXX)"
trap 'rm -rf "$data"' EXIT
echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet "$repo/artifacts/bin/Shadow.Bench.MicroVm/release/Shadow.Bench.MicroVm.dll" \
  --data "$data" --cache "$here/out/cache" --sidecar "$aot_dir/Shadow.Sidecar" \
  --runs "$runs" --parallel "$parallel" --cold "$cold" --accelerator "$accelerator"
