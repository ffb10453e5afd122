#!/usr/bin/env bash
# Resolves Apache Kafka's broker jars from Maven Central (checksums verified by
# Maven) into the build context given as $1, cached under $DARKROOM_CACHE.
set -euo pipefail
context=$1
cache=${DARKROOM_CACHE:-/var/cache/darkroom}/kafka
mkdir -p "$cache"
mvn -q -B -C -f "$context/pom.xml" -Dmaven.repo.local="$cache/m2" \
  -Dkafka.version="$VERSION" \
  dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$context/lib"
