#!/bin/sh
# Init container of every Sentinel pod: write a fresh sentinel.conf into the
# pod's writable emptyDir (Sentinel rewrites it as it learns). It monitors
# whichever Redis pod says it is the master, else redis-0.
set -eu
NS="${POD_NAMESPACE}"
MASTER=""
for i in 0 1 2; do
  host="redis-${i}.redis-headless.${NS}.svc.cluster.local"
  if timeout 3 redis-cli -h "$host" -p 6379 INFO replication 2>/dev/null | grep -q '^role:master'; then
    MASTER="$host"
    break
  fi
done
[ -n "$MASTER" ] || MASTER="redis-0.redis-headless.${NS}.svc.cluster.local"
cat > /data/sentinel.conf <<CONF
port 26379
dir /data
sentinel resolve-hostnames yes
sentinel announce-hostnames yes
sentinel announce-ip ${POD_NAME}.redis-sentinel.${NS}.svc.cluster.local
sentinel monitor cmtp ${MASTER} 6379 2
sentinel down-after-milliseconds cmtp 5000
sentinel failover-timeout cmtp 60000
sentinel parallel-syncs cmtp 1
CONF
echo "sentinel-config: monitoring ${MASTER}"
