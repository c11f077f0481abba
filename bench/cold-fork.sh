#!/usr/bin/env bash
# Cold EMU_FORK of the sample's worker (a whole Spring Boot application in worker mode): the sample server runs
# with no warm pool, and io.viaemu.bench.handover.ColdForkBench times connect-to-first-reply on its "chat"
# endpoint, whose every connection is forked to a worker JVM started for it. For each JDK (JAVA17, JAVA25) it
# measures the workers without and then with class-data sharing (the first "with" run trains the archive and is
# not counted).
#   bench/cold-fork.sh [RUNS]        default 7 runs per case
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RUNS="${1:-7}"
default_java="$(readlink -f "$(command -v java)")"
JAVA17="${JAVA17:-$default_java}"
JAVA25="${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}"
JVM_ARGS="$ROOT/via-emu-core/src/main/resources/META-INF/via-emu/jvm.args"

mvn -q -pl sample-app,bench -am package -DskipTests
jar="$ROOT/sample-app/target/via-emu-sample-app-0.1.0-SNAPSHOT.jar"
extracted="$ROOT/sample-app/target/extracted"
rm -rf "$extracted"
java -Djarmode=tools -jar "$jar" extract --destination "$extracted" >/dev/null
CP="$ROOT/bench/target/classes:$(cat "$ROOT/bench/target/bench.classpath")"

run_case() { # java sharing
  local java="$1" sharing="$2" extra=() base port
  [[ "$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')" -ge 24 ]] \
    && extra+=(--sun-misc-unsafe-memory-access=allow)
  base="$(mktemp -d /tmp/via-cold-fork.XXXXXX)"
  chmod 700 "$base"
  port=$((18000 + RANDOM % 1000))
  "$java" @"$JVM_ARGS" "${extra[@]}" -jar "$extracted/$(basename "$jar")" --server.port="$port" \
    --via.base-dir="$base" --via.worker.pool-size=0 --via.worker.class-data-sharing="$sharing" \
    > "$base/server.out" 2>&1 &
  local server=$!
  for _ in $(seq 1 600); do grep -q "Started SampleApplication" "$base/server.out" && break; sleep 0.1; done
  local runs="$RUNS"
  if [[ "$sharing" == true ]]; then
    echo "  training run:"; "$java" @"$JVM_ARGS" "${extra[@]}" -cp "$CP" io.viaemu.bench.handover.ColdForkBench "$base" chat 1 | sed 's/^/    /'
  fi
  local jdk
  jdk="$(basename "$(dirname "$(dirname "$java")")")"
  echo "  $jdk class-data-sharing=$sharing:"
  "$java" @"$JVM_ARGS" "${extra[@]}" -cp "$CP" io.viaemu.bench.handover.ColdForkBench "$base" chat "$runs" | sed 's/^/    /'
  kill "$server"; wait "$server" 2>/dev/null || true
  rm -rf "$base"
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for java in "$JAVA17" "$JAVA25"; do
  "$java" -version 2>&1 | head -1
  run_case "$java" false
  run_case "$java" true
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
