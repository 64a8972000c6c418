#!/usr/bin/env bash
# Starts and stops a single-node Ceph cluster on loopback with radosgw (Ceph's S3 gateway, C++) in
# front, for bench/s3_execute.sh (BM_S3_SERVER=radosgw). Debian 12's radosgw has no standalone
# back-end, so this runs one monitor, one OSD that keeps objects in memory (memstore) and radosgw
# with its beast front-end, all bound to 127.0.0.1, with Ceph's internal authentication off (S3
# requests are still SigV4-verified by radosgw against the user's secret key). Installs ceph-mon,
# ceph-osd, radosgw and ceph-common (about 100 Debian packages) when missing; they are a bench
# dependency only, never the test suite's.
#
# usage: bench/lib/radosgw.sh start DIR ACCESS_KEY SECRET_KEY   prints the S3 port on stdout
#        bench/lib/radosgw.sh pids DIR                          the daemons' process ids
#        bench/lib/radosgw.sh stop DIR                          stops the daemons, removes DIR
# DIR is a scratch folder (its contents are replaced); logs are under DIR/log.
set -euo pipefail
cmd=${1:?usage: radosgw.sh start|pids|stop DIR ...}
D=${2:?no scratch folder}

pids() { cat "$D"/run/*.pid 2>/dev/null || true; }

stop() {
    local p
    for p in $(pids); do kill "$p" 2>/dev/null || true; done
    for _ in $(seq 1 300); do # the OSD takes a few seconds to stop
        local alive=0
        for p in $(pids); do kill -0 "$p" 2>/dev/null && alive=1; done
        [ $alive = 0 ] && break
        sleep 0.1
    done
    for p in $(pids); do kill -9 "$p" 2>/dev/null || true; done
    rm -rf "$D"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

case $cmd in
    pids) pids; exit 0 ;;
    stop) stop; exit 0 ;;
    start) ;;
    *) echo "radosgw.sh: unknown command $cmd" >&2; exit 2 ;;
esac
access=${3:?no access key}
secret=${4:?no secret key}

missing=()
for p in ceph-mon ceph-osd radosgw ceph-common; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "radosgw.sh: installing ${missing[*]}" >&2
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ ! -d "$D" ] || stop
mkdir -p "$D"/{run,log,mon/ceph-a,osd/ceph-0}
fsid=$(cat /proc/sys/kernel/random/uuid)
monport=$(free_port)
cat >"$D/ceph.conf" <<C
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$monport]
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr1 = false
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
osd crush chooseleaf type = 0
osd objectstore = memstore
memstore device bytes = 4294967296
run dir = $D/run
admin socket = $D/run/\$name.asok
log file = $D/log/\$name.log
pid file = $D/run/\$name.pid
mon data = $D/mon/\$cluster-\$id
osd data = $D/osd/\$cluster-\$id
keyring = $D/keyring
# no debug logging, not even to the in-memory ring (levels 1/5 by default): it costs CPU per request
debug ms = 0/0
debug monc = 0/0
debug auth = 0/0
debug objecter = 0/0
debug rados = 0/0
debug osd = 0/0
debug filestore = 0/0
debug memstore = 0/0
debug bluestore = 0/0
debug journal = 0/0
debug finisher = 0/0
debug mon = 0/0
debug paxos = 0/0
debug rgw = 0/0
debug rgw sync = 0/0
debug civetweb = 0/0
debug javaclient = 0/0
debug asok = 0/0
debug throttle = 0/0
debug context = 0/0
debug crush = 0/0
debug heartbeatmap = 0/0
debug perfcounter = 0/0
debug optracker = 0/0
debug objclass = 0/0
debug lockdep = 0/0
debug timer = 0/0
debug buffer = 0/0
debug osd = 0/0
debug bdev = 0/0
debug none = 0/0
osd op history size = 0
osd enable op tracker = false
# loopback: no CRC over every message's payload; one OSD op thread is plenty for one client
ms crc data = false
osd op num shards = 1
osd op num threads per shard = 2
[client.rgw.bench]
# radosgw asks for a secure connection to the monitor, which authentication "none" cannot give
ms mon client mode = crc
C
C=(-c "$D/ceph.conf")
ceph-authtool --create-keyring "$D/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$monport]" "$D/monmap" >/dev/null
ceph-mon "${C[@]}" --mkfs -i a --monmap "$D/monmap" --keyring "$D/keyring" 2>>"$D/log/setup.log"
ceph-mon "${C[@]}" -i a 2>>"$D/log/setup.log"
uuid=$(cat /proc/sys/kernel/random/uuid)
id=$(timeout 120 ceph "${C[@]}" osd new "$uuid")
ceph-osd "${C[@]}" -i "$id" --mkfs --osd-uuid "$uuid" 2>>"$D/log/setup.log"
ceph-osd "${C[@]}" -i "$id" 2>>"$D/log/setup.log"
# radosgw creates its pools on first start; a port another process took meanwhile gets a retry
for _ in 1 2 3; do
    port=$(free_port)
    timeout 300 radosgw "${C[@]}" -n client.rgw.bench --rgw-frontends "beast endpoint=127.0.0.1:$port tcp_nodelay=1" \
        2>>"$D/log/setup.log"
    for _ in $(seq 1 1200); do
        curl -s -o /dev/null -m 2 "http://127.0.0.1:$port/" && break
        p=$(cat "$D/run/client.rgw.bench.pid" 2>/dev/null || true)
        [ -n "$p" ] && ! kill -0 "$p" 2>/dev/null && break # it exited (bind failed)
        sleep 0.1
    done
    if curl -s -o /dev/null -m 2 "http://127.0.0.1:$port/"; then
        timeout 120 radosgw-admin "${C[@]}" user create --uid bench --display-name bench \
            --access-key "$access" --secret-key "$secret" >/dev/null
        echo "$port"
        exit 0
    fi
    p=$(cat "$D/run/client.rgw.bench.pid" 2>/dev/null || true)
    [ -z "$p" ] || kill "$p" 2>/dev/null || true
    rm -f "$D/run/client.rgw.bench.pid"
done
echo "radosgw.sh: radosgw did not start (see $D/log/client.rgw.bench.log)" >&2
exit 1
