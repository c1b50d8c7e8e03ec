#!/bin/sh
# Init container of every Redis pod: decide whether this pod starts as the
# master or as a replica. Sentinel's answer wins (after a failover the old
# master must come back as a replica); with no Sentinel answering yet (first
# start of the whole set) redis-0 is the master.
set -eu
SELF="${POD_NAME}.redis-headless.${POD_NAMESPACE}.svc.cluster.local"
MASTER=""
for i in 0 1 2; do
  host="redis-sentinel-${i}.redis-sentinel.${POD_NAMESPACE}.svc.cluster.local"
  MASTER="$(timeout 3 redis-cli -h "$host" -p 26379 --raw \
            SENTINEL get-master-addr-by-name cmtp 2>/dev/null | head -n 1 || true)"
  [ -n "$MASTER" ] && break
done
[ -n "$MASTER" ] || MASTER="redis-0.redis-headless.${POD_NAMESPACE}.svc.cluster.local"
{
  echo "replica-announce-ip ${SELF}"
  if [ "$MASTER" != "$SELF" ]; then echo "replicaof ${MASTER} 6379"; fi
} > /run/redis/role.conf
echo "redis-role: ${SELF}, master ${MASTER}"
cat /run/redis/role.conf
