#!/usr/bin/env bash
# Puts an unpacked Elasticsearch with Darkroom's analysis plugin installed into
# the build context (CONTEXT/elasticsearch). The full distribution is not on any
# reachable registry; Maven Central has the integration-test zip, which lacks
# the analysis-common module, so the plugin built here (plugin/) supplies the
# filters Darkroom needs under the same names. Usage: prepare.sh CONTEXT_DIR
set -euo pipefail
context=$(realpath "$1")
: "${VERSION:?VERSION must be set}"
java_home=${DARKROOM_JAVA17_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}
cache=${DARKROOM_CACHE:-/var/cache/darkroom}/elasticsearch
central=${MAVEN_CENTRAL:-https://repo1.maven.org/maven2}
url=$central/org/elasticsearch/distribution/integ-test-zip/elasticsearch/$VERSION/elasticsearch-$VERSION.zip
zip=$cache/elasticsearch-$VERSION.zip
mkdir -p "$cache"

# The checksum is fetched with the zip and kept beside it, so a cached zip is
# re-verified offline on every build.
sha512() { sha512sum <"$1" | cut -d' ' -f1; }
if [[ ! -f $zip.sha512 || ! -f $zip || $(sha512 "$zip") != "$(cat "$zip.sha512")" ]]; then
    echo "downloading $url" >&2
    curl -fsSL --retry 3 -o "$zip.part" "$url"
    want=$(curl -fsSL --retry 3 "$url.sha512" | cut -d' ' -f1)
    [[ $(sha512 "$zip.part") == "$want" ]] || { echo "sha512 mismatch for $url" >&2; exit 1; }
    mv "$zip.part" "$zip" && echo "$want" >"$zip.sha512"
fi

home=$context/elasticsearch
rm -rf "$home" "$context/elasticsearch-$VERSION"
unzip -q "$zip" -d "$context"
mv "$context/elasticsearch-$VERSION" "$home"
# Windows/macOS launchers and native libraries are dead weight in a Linux image.
rm -rf "$home"/bin/*.bat "$home"/bin/*.exe "$home"/lib/tools/windows-service-cli
find "$home/lib/platform" -mindepth 1 -maxdepth 1 ! -name "linux-$(uname -m | sed 's/x86_64/x64/;s/arm64/aarch64/')" -exec rm -rf {} +

# Compile the plugin against the jars it will run with; --release pins the bytecode to 17.
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
mkdir -p "$build/classes" "$build/plugin"
"$java_home/bin/javac" -J-XX:TieredStopAtLevel=1 --release 17 -nowarn -cp "$home/lib/*" -d "$build/classes" \
    $(find "$context/plugin/src" -name '*.java')
"$java_home/bin/jar" --create --file "$build/plugin/darkroom-analysis.jar" -C "$build/classes" .
sed "s/@VERSION@/$VERSION/g" "$context/plugin/plugin-descriptor.properties" >"$build/plugin/plugin-descriptor.properties"
(cd "$build/plugin" && "$java_home/bin/jar" --create --no-manifest --file "$build/darkroom-analysis.zip" .)
ES_JAVA_HOME=$java_home CLI_JAVA_OPTS=-XX:TieredStopAtLevel=1 "$home/bin/elasticsearch-plugin" install --batch --silent "file://$build/darkroom-analysis.zip"
test -f "$home/plugins/darkroom-analysis/darkroom-analysis.jar"
