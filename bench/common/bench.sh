# Sourced by bench/*/run.sh: the pieces both benchmark scripts share.

# require_tools TOOL...: exits 2 naming the first tool missing from PATH.
require_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "$tool is required on PATH" >&2; exit 2; }
  done
}

# quiet CMD...: runs a command quietly; prints its whole output if it fails, then exits 1.
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

# publish_sidecar_aot DIR: the Native AOT sidecar into DIR; sets publish_seconds and prints any IL/CS/CA warning lines.
publish_sidecar_aot() {
  local dir="$1" log start warnings
  echo "== dotnet publish src/Shadow.Sidecar (Native AOT, linux-x64)"
  log="$(mktemp)"
  start=$(date +%s.%N)
  if ! dotnet publish src/Shadow.Sidecar -c Release -r linux-x64 -o "$dir" >"$log" 2>&1; then
    cat "$log" >&2
    echo "AOT publish failed (trim/AOT warnings are errors here: TreatWarningsAsErrors)" >&2
    exit 1
  fi
  publish_seconds=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
  warnings=$(grep -cE 'warning (IL|CS|CA)[0-9]+' "$log" || true)
  echo "   published in ${publish_seconds} s, ${warnings} warning line(s), binary $(du -h "$dir/Shadow.Sidecar" | cut -f1)"
  grep -E 'warning (IL|CS|CA)[0-9]+' "$log" | sort -u >&2 || true
  rm -f "$log"
}

# make_bench_workspace DIR makes the benchmarks' git repository of exactly 200 small files, committed on main: data/read-4k.txt (4,096 bytes, the read target), scratch/write-4k.txt (4,096 bytes, the write
# target), list20/ (20 entries, the list target) and 178 small source files in 10 folders.

# 4 KB = 64 lines of 63 characters + newline.
make_4k() { for i in $(seq -w 1 64); do printf '%s line %s %s\n' "$1" "$i" "$(printf '%*s' $((63 - ${#1} - 9)) '' | tr ' ' x)"; done; }

make_bench_workspace() {
  local ws="$1"
  mkdir -p "$ws/data" "$ws/scratch" "$ws/list20"
  make_4k readme >"$ws/data/read-4k.txt"
  make_4k writeme >"$ws/scratch/write-4k.txt"
  for i in $(seq -w 1 20); do printf 'entry %s\n' "$i" >"$ws/list20/entry-$i.txt"; done
  # 200 - 2 - 20 = 178 more files.
  for i in $(seq 1 178); do
    local dir="$ws/src/module-$((i % 10))"
    mkdir -p "$dir"
    printf 'namespace Bench;\n// file %d\npublic static class C%d { public const int Value = %d; }\n' "$i" "$i" "$i" >"$dir/file-$i.cs"
  done
  local count
  count=$(find "$ws" -type f | wc -l)
  if [[ $count -ne 200 || $(wc -c <"$ws/data/read-4k.txt") -ne 4096 || $(wc -c <"$ws/scratch/write-4k.txt") -ne 4096 ]]; then
    echo "workspace setup is wrong: $count files" >&2
    return 1
  fi
  git -C "$ws" init -q -b main
  git -C "$ws" add -A
  git -C "$ws" -c user.name=bench -c user.email=bench@localhost -c commit.gpgsign=false commit -q -m "bench workspace"
}
