# Sourced by bench/*/run.sh: make_bench_workspace DIR makes the benchmarks' git repository of exactly 200 small files,
# committed on main: data/read-4k.txt (4,096 bytes, the read target), scratch/write-4k.txt (4,096 bytes, the write
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
