#!/usr/bin/env bash
# Builds the sample if needed, then runs it.
#
#   sample-app/run.sh                      the server: endpoints "chat" and "text", actuator on http://localhost:8080
#   sample-app/run.sh client [chat|text]   a client: sends the lines of standard input, prints the replies
#
# Extra arguments go to the application, e.g. "sample-app/run.sh --server.port=8081" or
# "sample-app/run.sh client text --via.base-dir=/some/dir". VIA_BASE_DIR and PORT are read by application.yml.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
jar="$here/target/via-emu-sample-app-0.1.0-SNAPSHOT.jar"
# Spring Boot's extracted layout (the jar plus lib/*.jar): worker JVMs can then start from a class-data archive,
# which the JVM builds from plain jar files only, not from the jars nested in a fat jar.
extracted="$here/target/extracted"
# The JVM options every via-emu process needs (Chronicle Queue maps files through JDK internals).
jvm_args="$root/via-emu-core/src/main/resources/META-INF/via-emu/jvm.args"

build() {
    echo "building the sample (mvn package, tests skipped)..." >&2
    # Build output goes to stderr: a client's standard output carries the server's replies only.
    (cd "$root" && mvn -q -pl sample-app -am package -DskipTests) >&2
    rm -rf "$extracted"
}

if [ "${1:-}" = "client" ]; then
    # A client never rebuilds an existing jar: the running server (and the workers it starts) use that very file.
    [ -f "$jar" ] || build
elif [ ! -f "$jar" ] || [ -n "$(find "$root/pom.xml" "$root/via-emu-core/pom.xml" "$root/via-emu-core/src/main" \
        "$root/via-emu-spring-boot-starter/pom.xml" "$root/via-emu-spring-boot-starter/src/main" \
        "$here/pom.xml" "$here/src/main" -newer "$jar" -print -quit)" ]; then
    # The server rebuilds when any source of the core, the starter or the sample is newer than the jar.
    build
fi

if [ ! -f "$extracted/$(basename "$jar")" ]; then
    java -Djarmode=tools -jar "$jar" extract --destination "$extracted" >&2
fi
jar="$extracted/$(basename "$jar")"

java_opts=("@$jvm_args")
java_version=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
if [ "${java_version%%.*}" -ge 24 ] 2>/dev/null; then
    # JDK 24+ warns on every sun.misc.Unsafe access Chronicle makes; JDK 17 rejects this flag.
    java_opts+=("--sun-misc-unsafe-memory-access=allow")
fi

if [ "${1:-}" = "client" ]; then
    shift
    exec java "${java_opts[@]}" -jar "$jar" client "$@"
fi
exec java "${java_opts[@]}" -jar "$jar" "$@"
