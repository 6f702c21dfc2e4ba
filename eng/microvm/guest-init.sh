#!/bin/busybox sh
# /init of the Shadow microVM guest (built into the initramfs by build-image.sh).
# ttyS0: the console (kernel messages, the sidecar's output, a root shell for the host's emergency channel).
# ttyS1: the host's control channel: one line per command, "time <unix seconds>", "seed <hex>" (mixed into the
# guest's RNG: every VM resumed from one saved state would otherwise share it) and "token <secret>". The sidecar's
# token arrives only here, after boot (or after a snapshot restore): it is never on the kernel command line nor in the image.
/bin/busybox mkdir -p /proc /sys /dev /tmp /run /var/lib/shadow /workspace /root
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox --install -s /bin
export PATH=/bin:/sbin HOME=/root TERM=vt100 LANG=C.UTF-8 Logging__Console__FormatterOptions__ColorBehavior=Disabled
mkdir -p /dev/pts /dev/shm && mount -t devpts devpts /dev/pts && mount -t tmpfs tmpfs /dev/shm
chmod 1777 /tmp

for m in $(cat /etc/shadow/modules); do
  insmod "/lib/modules/$m.ko" || echo "shadow-init: insmod $m failed"
done

ip link set lo up
ip addr add 10.0.2.15/24 dev eth0
ip link set eth0 up
ip route add default via 10.0.2.2
hostname shadow-vm

stty -F /dev/ttyS1 raw -echo

# The sidecar waits on the FIFO for its token; until then it answers 503 on every route. A sidecar that had to be
# restarted waits for a new token (the host sees 503s and replaces the VM).
(
  cd /opt/shadow
  while true; do
    [ -p /run/shadow-token ] || mkfifo -m 600 /run/shadow-token
    ./Shadow.Sidecar --workspace /workspace --state-dir /var/lib/shadow --urls http://0.0.0.0:8080 --token-pipe /run/shadow-token </dev/null
    echo "shadow-init: the sidecar exited ($?); restarting it"
    sleep 1
  done
) >/dev/ttyS0 2>&1 &

# Warm the sidecar's request path from inside the guest (routing tables, Kestrel's first connection) so that a VM resumed
# from a state saved after this point answers its first request sooner; then tell the host, which saves the state.
(
  tries=0
  until wget -q -O /dev/null -T 2 http://127.0.0.1:8080/health 2>&1 | grep -q 503; do
    tries=$((tries + 1)); [ $tries -gt 600 ] && break; sleep 0.1
  done
  for path in /health /files/list /exec /git/status; do wget -q -O /dev/null -T 5 "http://127.0.0.1:8080$path" >/dev/null 2>&1; done
  echo "shadow-init: sidecar warm" >/dev/ttyS0
) &

# The control channel.
(
  while read -r command argument; do
    case "$command" in
      time) date -s "@$argument" >/dev/null; echo "shadow-init: resumed; clock set" >/dev/kmsg ;;
      seed) printf '%s' "$argument" >/dev/urandom ;;
      token) printf '%s\n' "$argument" >/run/shadow-token ;;
    esac
    argument=
  done </dev/ttyS1
) &

echo "shadow-init: ready"
echo "shadow-init: guest ready (busybox init, sidecar on :8080, network restricted)" >/dev/kmsg
# The emergency shell on the console; a new one when it exits.
while true; do
  setsid cttyhack sh
done
