#!/bin/bash
# Starts Elasticsearch in the foreground as user elasticsearch, PID 1 via exec.
# Settings come from config/elasticsearch.yml, overridden by environment
# variables in either of the official image's two forms:
#   discovery.type=single-node           (the setting name itself)
#   ES_SETTING_DISCOVERY_TYPE=single-node ("_" -> ".", "__" -> "_")
# Extra arguments go to bin/elasticsearch (e.g. -E name=value); a first
# argument that is not an option is run as a command instead.
set -euo pipefail
data=/var/lib/elasticsearch

if [[ $# -gt 0 && $1 != -* ]]; then
    exec "$@"
fi

# Started as root (e.g. --user 0 with a root-owned bind mount): hand the data
# directory to elasticsearch, then drop privileges; Elasticsearch refuses root.
if [[ $(id -u) == 0 ]]; then
    find "$data" ! -user elasticsearch -exec chown -h elasticsearch:root {} +
    exec setpriv --reuid=elasticsearch --regid=root --init-groups "$0" "$@"
fi
if [[ ! -w $data ]]; then
    echo "error: $data is not writable by uid $(id -u); chown it to 1000:0 or start the container as root" >&2
    exit 1
fi

settings=()
while IFS= read -r -d '' pair; do
    name=${pair%%=*} value=${pair#*=}
    if [[ $name =~ ^[a-z0-9_]+\.[a-z0-9_.]+$ ]]; then
        settings+=("-E$name=$value")
    elif [[ $name =~ ^ES_SETTING_[A-Z0-9_]+$ ]]; then
        name=${name#ES_SETTING_} name=${name,,} name=${name//__/$'\x01'} name=${name//_/.}
        settings+=("-E${name//$'\x01'/_}=$value")
    fi
done < <(env -0)

exec /usr/share/elasticsearch/bin/elasticsearch "${settings[@]}" "$@"
