#!/usr/bin/env bash
# Resolves cassandra-all $VERSION and its runtime dependencies from Maven
# Central (no release tarballs are reachable here) into $1/lib. Maven checks
# every download against Central's checksums (-C fails on a mismatch). The
# jars are cached under $DARKROOM_CACHE, so only a cold build hits the network
# (100 jars, 67 MB; 2.5 min here, mostly downloads).
set -euo pipefail
context=$1
version=${VERSION:?VERSION is not set}
cache=${DARKROOM_CACHE:-/var/cache/darkroom}/cassandra
lib=$cache/lib-$version
export JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64
if [ ! -f "$lib/.complete" ]; then
  mkdir -p "$cache"
  work=$(mktemp -d "$cache/resolve.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  # A throwaway project whose only dependency is the server jar.
  cat >"$work/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.darkroom.images</groupId>
  <artifactId>cassandra-runtime</artifactId>
  <version>$version</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.cassandra</groupId>
      <artifactId>cassandra-all</artifactId>
      <version>$version</version>
    </dependency>
  </dependencies>
</project>
EOF
  mvn -B -q -C -Dstyle.color=never -f "$work/pom.xml" -Dmaven.repo.local="$cache/m2" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$work/lib"
  rm -rf "$lib" && mv "$work/lib" "$lib" && touch "$lib/.complete"
fi
mkdir -p "$context/lib"
# Netty's macOS and Windows native jars can never load in a Linux container.
find "$lib" -name '*.jar' ! -name '*-osx-*' ! -name '*-windows-*' -exec cp -t "$context/lib/" {} +
