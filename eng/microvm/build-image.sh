#!/usr/bin/env bash
# Builds the Shadow microVM guest from Debian packages only: an uncompressed vmlinux (for direct PVH boot) taken from the
# linux-image-amd64 package (its version resolved through apt, never hard-coded), and an initramfs holding busybox, bash,
# the virtio modules, the Native AOT sidecar and exactly the shared libraries those binaries need (found with ldd).
#
#   build-image.sh --sidecar DIR --cache DIR [--kernel-deb FILE]
#
# DIR of --sidecar holds a Native AOT Shadow.Sidecar (plus its libgit2-*.so). Results are cached under --cache:
# kernel-<package version>/ and image-<hash of every input>/; a run whose inputs did not change only hashes them.
# Progress goes to stderr; the last line on stdout is the image folder (vmlinux, initramfs.cpio, manifest).
# (Every pipe's reader reads to the end: with pipefail, a reader that quits early fails the writer with SIGPIPE.)
# Needs: apt-get/apt-cache (with package lists: apt-get update), dpkg-deb, xz, cpio, busybox (busybox-static), ldd.
set -euo pipefail
export LC_ALL=C

say() { printf '[microvm-image] %s\n' "$*" >&2; }
fail() { printf '[microvm-image] error: %s\n' "$*" >&2; exit 1; }

sidecar_dir="" cache="" kernel_deb=""
while [ $# -gt 0 ]; do
  case "$1" in
    --sidecar) sidecar_dir="$2"; shift 2 ;;
    --cache) cache="$2"; shift 2 ;;
    --kernel-deb) kernel_deb="$2"; shift 2 ;;
    *) fail "unknown argument '$1' (use --sidecar DIR --cache DIR [--kernel-deb FILE])" ;;
  esac
done
[ -n "$sidecar_dir" ] && [ -n "$cache" ] || fail "--sidecar DIR and --cache DIR are required"
[ -x "$sidecar_dir/Shadow.Sidecar" ] || fail "no Native AOT Shadow.Sidecar in '$sidecar_dir' (dotnet publish src/Shadow.Sidecar -c Release -r linux-x64)"
[ ! -e "$sidecar_dir/Shadow.Sidecar.dll" ] || fail "'$sidecar_dir' holds a JIT build (Shadow.Sidecar.dll); the guest needs the Native AOT binary"
for tool in apt-cache apt-get dpkg-deb xz cpio ldd sha256sum flock; do
  command -v "$tool" >/dev/null || fail "$tool is required on PATH"
done
busybox=$(command -v busybox || true)
[ -n "$busybox" ] || fail "busybox is required (apt-get install busybox-static)"
ldd "$busybox" >/dev/null 2>&1 && fail "$busybox is dynamically linked; install busybox-static"
bash_bin=$(command -v bash)

here=$(cd "$(dirname "$0")" && pwd)
init_script="$here/guest-init.sh"
[ -f "$init_script" ] || fail "missing $init_script"

mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
exec 9>"$cache/.build.lock"
flock 9

# The modules the guest loads (with what they depend on, found in each module's .modinfo).
wanted_modules=(virtio_mmio virtio_net)

# ---- kernel ----
if [ -n "$kernel_deb" ]; then
  [ -f "$kernel_deb" ] || fail "--kernel-deb '$kernel_deb' does not exist"
  kernel_version=$(dpkg-deb -f "$kernel_deb" Package)_$(dpkg-deb -f "$kernel_deb" Version)
else
  kernel_pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ && !found { print $2; found = 1 }')
  [ -n "$kernel_pkg" ] || fail "apt knows no linux-image-amd64: run 'apt-get update' first (or pass --kernel-deb)"
  kernel_version=${kernel_pkg}_$(apt-cache show "$kernel_pkg" | awk '/^Version:/ && !found { print $2; found = 1 }')
fi
kernel_dir="$cache/kernel-$kernel_version"
if [ ! -f "$kernel_dir/vmlinux" ]; then
  work=$(mktemp -d "$cache/.kernel.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  if [ -z "$kernel_deb" ]; then
    say "downloading $kernel_pkg (apt-get download)"
    (cd "$work" && apt-get download -qq "$kernel_pkg" 2>/dev/null) || fail "apt-get download $kernel_pkg failed"
    kernel_deb=$(ls "$work"/*.deb)
  fi
  say "unpacking $(basename "$kernel_deb")"
  dpkg-deb -x "$kernel_deb" "$work/root"
  vmlinuz=$(ls "$work"/root/boot/vmlinuz-* | head -n 1)
  # The bzImage holds the kernel as an xz stream: everything from the first xz magic on, decompressed (trailing data ignored).
  offset=$(grep -m 1 -obUaP '\xFD7zXZ\x00' "$vmlinuz" | cut -d: -f1)
  [ -n "$offset" ] || fail "$vmlinuz holds no xz stream; this script handles xz-compressed Debian kernels"
  say "extracting an uncompressed vmlinux from $(basename "$vmlinuz")"
  mkdir -p "$work/out/modules"
  tail -c +$((offset + 1)) "$vmlinuz" | xz -dc >"$work/out/vmlinux" 2>/dev/null || true
  head -c 4 "$work/out/vmlinux" | grep -q 'ELF' || fail "the extracted vmlinux is not an ELF file"
  # Modules, each after the ones it depends on.
  declare -A loaded=()
  order=()
  add_module() {
    local name="$1" file deps dep
    [ -n "${loaded[$name]:-}" ] && return 0
    file=$(find "$work/root/lib/modules" -name "$name.ko" | head -n 1)
    [ -n "$file" ] || fail "the kernel package has no module $name"
    loaded[$name]=1
    deps=$(grep -m 1 -a -o 'depends=[^[:cntrl:]]*' "$file" | cut -d= -f2)
    for dep in ${deps//,/ }; do add_module "$dep"; done
    cp "$file" "$work/out/modules/"
    order+=("$name")
  }
  for m in "${wanted_modules[@]}"; do add_module "$m"; done
  printf '%s\n' "${order[@]}" >"$work/out/modules/order"
  rm -rf "$kernel_dir"
  mv "$work/out" "$kernel_dir"
  rm -rf "$work"
  trap - EXIT
  say "kernel $kernel_version ready ($(du -h "$kernel_dir/vmlinux" | cut -f1))"
fi

# ---- initramfs ----
binaries=("$busybox" "$bash_bin" "$sidecar_dir/Shadow.Sidecar" "$sidecar_dir"/libgit2-*.so)
# libgit2 loads OpenSSL with dlopen (for its hashes too, so even git:// needs it): ldd cannot see that one.
ldconfig_bin=$(command -v ldconfig || echo /sbin/ldconfig)
libssl=$("$ldconfig_bin" -p 2>/dev/null | awk '/libssl\.so\.3 .*x86-64/ && !found { print $NF; found = 1 }')
[ -n "$libssl" ] || fail "libssl.so.3 is missing (apt-get install libssl3); the sidecar's libgit2 loads it at run time"
libs=$( { for b in "${binaries[@]}" "$libssl"; do ldd "$b" 2>/dev/null | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }'; done; echo "$libssl"; } | sort -u)
inputs=("$0" "$init_script" "${binaries[@]}" $libs "$sidecar_dir/appsettings.json")
key=$( { echo "$kernel_version"; printf '%s\n' "${wanted_modules[@]}"; for f in "${inputs[@]}"; do [ -f "$f" ] && sha256sum <"$f"; done; } | sha256sum | cut -c1-16)
image="$cache/image-$key"
if [ -f "$image/initramfs.cpio" ]; then
  echo "$image"
  exit 0
fi

say "building the initramfs (inputs changed: image-$key)"
work=$(mktemp -d "$cache/.image.XXXXXX")
trap 'rm -rf "$work"' EXIT
root="$work/root"
mkdir -p "$root"/{bin,sbin,etc/shadow,lib/modules,lib64,lib/x86_64-linux-gnu,opt/shadow,proc,sys,dev,tmp,run,root,workspace,var/lib/shadow}
cp "$busybox" "$root/bin/busybox"
cp "$bash_bin" "$root/bin/bash"
cp "$sidecar_dir/Shadow.Sidecar" "$sidecar_dir"/libgit2-*.so "$root/opt/shadow/"
[ -f "$sidecar_dir/appsettings.json" ] && cp "$sidecar_dir/appsettings.json" "$root/opt/shadow/"
for lib in $libs; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
cp "$kernel_dir"/modules/*.ko "$root/lib/modules/"
cp "$kernel_dir/modules/order" "$root/etc/shadow/modules"
cp "$init_script" "$root/init"
chmod 755 "$root/init" "$root/bin/busybox" "$root/bin/bash" "$root/opt/shadow/Shadow.Sidecar"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"
mkdir -p "$work/out"
# Uncompressed: the kernel copies it instead of inflating it (faster under TCG; the snapshot makes it moot anyway).
(cd "$root" && find . -print0 | sort -z | cpio --null -o -H newc --quiet) >"$work/out/initramfs.cpio"
ln -s "../kernel-$kernel_version/vmlinux" "$work/out/vmlinux"
{
  echo "kernel=$kernel_version"
  echo "key=$key"
  echo "modules=$(tr '\n' ' ' <"$kernel_dir/modules/order")"
  echo "libs=$(echo $libs)"
} >"$work/out/manifest"
rm -rf "$image"
mv "$work/out" "$image"
say "image ready: $image (initramfs $(du -h "$image/initramfs.cpio" | cut -f1))"
echo "$image"
