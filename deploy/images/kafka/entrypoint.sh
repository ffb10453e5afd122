#!/usr/bin/env bash
# Starts one KRaft node. Clients on the host must dial the host port Docker
# mapped, known only after the container started: unless KAFKA_HOST_ADDRESS
# is set, wait for the starter to copy that address into /run/kafka/host-address.
set -euo pipefail
data=/var/lib/kafka
address_file=/run/kafka/host-address
host_address=${KAFKA_HOST_ADDRESS:-}
for _ in $(seq 600); do
  [ -n "$host_address" ] && break
  if [ -s "$address_file" ]; then
    host_address=$(cat "$address_file")
    rm -f "$address_file"  # a restart maps a new port: every start needs a fresh one
  else
    sleep 0.1
  fi
done
[ -n "$host_address" ] || { echo "no host address given in 60 s" >&2; exit 1; }

cat > /tmp/server.properties <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:9094
controller.listener.names=CONTROLLER
listeners=HOST://0.0.0.0:9092,DOCKER://0.0.0.0:9093,CONTROLLER://127.0.0.1:9094
advertised.listeners=HOST://${host_address},DOCKER://${KAFKA_INTERNAL_HOST}:9093
listener.security.protocol.map=HOST:PLAINTEXT,DOCKER:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=DOCKER
log.dirs=${data}/logs
num.partitions=${KAFKA_NUM_PARTITIONS}
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
PROPS

java_cmd=(java $KAFKA_HEAP_OPTS $KAFKA_JVM_OPTS -Dlog4j2.configurationFile=/opt/kafka/log4j2.xml
          -cp '/opt/kafka/lib/*')
if [ ! -f "$data/logs/meta.properties" ]; then
  # A cluster id is 16 random bytes in URL-safe base64; making it here saves a JVM start.
  cluster_id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
  "${java_cmd[@]}" kafka.tools.StorageTool format --standalone -t "$cluster_id" -c /tmp/server.properties
fi
exec "${java_cmd[@]}" kafka.Kafka /tmp/server.properties
