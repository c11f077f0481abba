#!/usr/bin/env bash
# Cold EMU_FORK of the sample's worker (a whole Spring Boot application in worker mode): the sample server runs
# with no warm pool and one-shot workers (max-connections 1), and io.viaemu.bench.handover.ColdForkBench times
# connect-to-first-reply on its "chat" endpoint, whose every connection is forked to a worker JVM started for it.
# For each JDK (JAVA17, JAVA25) and each worker boot -- "full" (the whole application but its web server:
# via.worker.trim.enabled=false, no Spring AOT), "trimmed" (the starter's worker trimming, no Spring AOT) and
# "trimmed+aot" (trimmed, and Spring AOT's worker-mode bean definitions, which the sample's build generates) --
# it measures the workers without and then with class-data sharing (the first "with" run trains the archive and
# is not counted). Then the one-shot rate of the fastest boot: a warm pool of 1, connections back to back.
#   bench/cold-fork.sh [RUNS] [RATE_CONNECTIONS]     default 7 runs per case, 30 connections for the rate
# Environment: JAVA17, JAVA25 (the two JDKs); BOOTS (default "full trimmed trimmed+aot"), SHARING (default
# "false true"): the cases to run; NO_BUILD=1 runs on the jars already built (the build takes no bench lock).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RUNS="${1:-7}"
RATE_CONNECTIONS="${2:-30}"
default_java="$(readlink -f "$(command -v java)")"
JAVA17="${JAVA17:-$default_java}"
JAVA25="${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}"
JVM_ARGS="$ROOT/via-emu-core/src/main/resources/META-INF/via-emu/jvm.args"

BOOTS="${BOOTS:-full trimmed trimmed+aot}"
SHARING="${SHARING:-false true}"
[[ -n "${NO_BUILD:-}" ]] || mvn -o -q -pl sample-app,bench -am package -DskipTests
jar="$ROOT/sample-app/target/via-emu-sample-app-0.1.0-SNAPSHOT.jar"
extracted="$ROOT/sample-app/target/extracted"
rm -rf "$extracted"
java -Djarmode=tools -jar "$jar" extract --destination "$extracted" >/dev/null
CP="$ROOT/bench/target/classes:$(cat "$ROOT/bench/target/bench.classpath")"
QUIET=-Dorg.slf4j.simpleLogger.defaultLogLevel=warn # the client's protocol steps, at INFO, would flood the output

start_server() { # java base port extra-args...: starts the sample server, sets $server
  local java="$1" base="$2" port="$3"; shift 3
  : > "$base/server-$port.out" # before the server's redirect: the wait below reads it at once
  "$java" @"$JVM_ARGS" "${java_extra[@]}" -jar "$extracted/$(basename "$jar")" --server.port="$port" \
    --via.base-dir="$base" --via.worker.max-connections=1 --via.worker.max-connections-jitter=0 "$@" \
    > "$base/server-$port.out" 2>&1 &
  server=$!
  for _ in $(seq 1 600); do grep -q "Started SampleApplication" "$base/server-$port.out" && break; sleep 0.1; done
}

boot_args() { # boot: the server arguments that choose the workers' boot
  case "$1" in
    full) echo "--via.worker.trim.enabled=false --via.worker.spring-aot=off" ;;
    trimmed) echo "--via.worker.spring-aot=off" ;;
    trimmed+aot) echo "--via.worker.spring-aot=on" ;;
  esac
}

run_case() { # java boot sharing
  local java="$1" boot="$2" sharing="$3" base port
  java_extra=()
  [[ "$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')" -ge 24 ]] \
    && java_extra+=(--sun-misc-unsafe-memory-access=allow)
  base="$(mktemp -d /tmp/via-cold-fork.XXXXXX)"
  chmod 700 "$base"
  port=$((18000 + RANDOM % 1000))
  # shellcheck disable=SC2046
  start_server "$java" "$base" "$port" --via.worker.pool-size=0 --via.worker.class-data-sharing="$sharing" \
    $(boot_args "$boot")
  if [[ "$sharing" == true ]]; then
    echo "  training run:"; "$java" @"$JVM_ARGS" "${java_extra[@]}" "$QUIET" -cp "$CP" io.viaemu.bench.handover.ColdForkBench "$base" chat 1 | sed 's/^/    /'
  fi
  local jdk
  jdk="$(basename "$(dirname "$(dirname "$java")")")"
  echo "  $jdk $boot class-data-sharing=$sharing:"
  "$java" @"$JVM_ARGS" "${java_extra[@]}" "$QUIET" -cp "$CP" io.viaemu.bench.handover.ColdForkBench "$base" chat "$RUNS" | sed 's/^/    /'
  # what the workers' own logs say their application start took (Spring Boot's "Started ... in")
  echo "    workers: $(grep -ho 'Started SampleApplication in [0-9.]* seconds' "$base"/chat/logs/*.log \
    | awk '{print $4}' | sort -n | awk '{a[NR]=$1} END {print "application start median " a[int((NR+1)/2)] " s over " NR}')"
  kill "$server"; wait "$server" 2>/dev/null || true
  if [[ "$sharing" == true && "$boot" == trimmed+aot ]]; then
    # the one-shot rate on the archive just trained (same key: same JDK, options and jars)
    port=$((port + 1))
    # shellcheck disable=SC2046
    start_server "$java" "$base" "$port" --via.worker.pool-size=1 --via.worker.class-data-sharing=true \
      $(boot_args "$boot")
    sleep 3 # the pool's first spare worker starts
    echo "  $jdk $boot one-shot rate, pool-size 1, load $(cut -d' ' -f1 /proc/loadavg):"
    "$java" @"$JVM_ARGS" "${java_extra[@]}" "$QUIET" -cp "$CP" io.viaemu.bench.handover.ColdForkBench "$base" chat \
      "$RATE_CONNECTIONS" --rate | sed 's/^/    /'
    kill "$server"; wait "$server" 2>/dev/null || true
  fi
  rm -rf "$base"
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for java in "$JAVA17" "$JAVA25"; do
  "$java" -version 2>&1 | head -1
  for boot in $BOOTS; do
    for sharing in $SHARING; do
      run_case "$java" "$boot" "$sharing"
    done
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
