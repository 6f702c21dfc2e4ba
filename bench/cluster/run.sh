#!/usr/bin/env bash
# Cluster benchmark: p50/p99 of a grain state write on PostgreSQL and N concurrent scripted tasks across 2 silos.
# Uses SHADOW_TEST_POSTGRES when set, else starts a throwaway PostgreSQL (needs the Debian postgresql package).
# usage: bench/cluster/run.sh [--writes N] [--tasks N]
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
dotnet build bench/cluster/Shadow.Bench.Cluster/Shadow.Bench.Cluster.csproj -c Release -nologo -clp:ErrorsOnly >/dev/null
exec dotnet artifacts/bin/Shadow.Bench.Cluster/release/Shadow.Bench.Cluster.dll "$@"
