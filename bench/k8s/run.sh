#!/usr/bin/env bash
# Kubernetes runtime benchmark (issue 8, section 4): pod create -> sidecar ready through the SIMULATED cluster (our own
# overhead: the real KubernetesClient, the simulated API server's real HTTP and watch streams, a real Native AOT sidecar per
# pod) and the watch-to-ready latency. See bench/k8s/README.md.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: bench/k8s/run.sh [options]
  --count N          pods per phase (default 20)
  --concurrency N    pods provisioned at once in the second phase (default 4)
  --probe-ms N       the simulated kubelet's readiness probe period (default 5; a cluster's is the pod's periodSeconds)
  --jit              run the JIT sidecar build instead of the Native AOT one
  --skip-publish     reuse bench/k8s/out/aot if it exists
  -h, --help         this text
USAGE
}

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"

jit=0
skip_publish=0
gen_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --count|--concurrency|--probe-ms)
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
require_tools dotnet
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

if [[ $jit -eq 0 ]]; then
  aot_dir="$here/out/aot"
  if [[ $skip_publish -eq 1 && -x "$aot_dir/Shadow.Sidecar" ]]; then
    echo "== reusing $aot_dir/Shadow.Sidecar (--skip-publish)"
  else
    publish_sidecar_aot "$aot_dir"
  fi
  gen_args+=(--sidecar "$aot_dir/Shadow.Sidecar")
fi

echo "== dotnet build bench/k8s/Shadow.Bench.K8s -c Release"
quiet dotnet build bench/k8s/Shadow.Bench.K8s -c Release

echo "== benchmark"
dotnet "$repo/artifacts/bin/Shadow.Bench.K8s/release/Shadow.Bench.K8s.dll" "${gen_args[@]}"
