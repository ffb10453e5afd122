#!/usr/bin/env bash
# Build time only (a Dockerfile RUN, as root): starts the node once as its own
# user until CQL answers, stops it, and keeps the class-data-sharing archive
# the JVM writes at exit. Every later start maps those few thousand classes
# instead of reading, verifying and linking them from the jars again; that is
# most of a start's CPU time. Then it leaves the data directory empty.
set -euo pipefail
archive=/opt/cassandra/classes.jsa
setpriv --reuid=cassandra --regid=cassandra --init-groups -- \
  env CASSANDRA_ARCHIVE_CLASSES_TO=/tmp/classes.jsa cassandra-entrypoint &
pid=$!
deadline=$((SECONDS + 900))  # generous: a loaded 2-core machine is slow
until (: </dev/tcp/127.0.0.1/9042) 2>/dev/null; do
  kill -0 "$pid" 2>/dev/null || { echo "cassandra exited during the training start" >&2; exit 1; }
  [ "$SECONDS" -lt "$deadline" ] || { echo "cassandra did not open CQL in time" >&2; kill -9 "$pid"; exit 1; }
  sleep 0.5
done
kill -TERM "$pid"
wait "$pid" || true  # 143: stopped by SIGTERM, as intended
mv /tmp/classes.jsa "$archive"
chown root:root "$archive" && chmod 644 "$archive"
rm -rf /var/lib/cassandra/* /var/lib/cassandra/.[!.]* /etc/cassandra/cassandra.yaml /tmp/*
