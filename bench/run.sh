#!/usr/bin/env bash
# Builds the bench module and runs the benchmark harness (io.viaemu.bench.BenchMain).
# All arguments go to BenchMain, e.g.:
#   bench/run.sh                                   full run (>= 100k round trips per size; several minutes)
#   bench/run.sh --quick                           smoke run
#   bench/run.sh --quick --contenders tcp,chronicle --figures rtt64,connect
#   bench/run.sh --help
# The table goes to stdout and to bench/target/bench-results.md; progress goes to stderr.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
JVM_ARGS_FILE="$ROOT/via-emu-core/src/main/resources/META-INF/via-emu/jvm.args"
[[ -f "$JVM_ARGS_FILE" ]] || { echo "missing $JVM_ARGS_FILE" >&2; exit 1; }

# Build through the reactor (-am also builds what bench depends on). While a module listed in the parent pom
# does not exist yet the reactor cannot load, so build bench alone then (its parent is ../pom.xml).
missing=""
for module in $(sed -n 's:.*<module>\(.*\)</module>.*:\1:p' pom.xml); do
  [[ -f "$module/pom.xml" ]] || missing="$missing $module"
done
if [[ -z "$missing" ]]; then
  mvn -q -pl bench -am package -DskipTests
else
  echo "[run.sh] modules not present yet:$missing; building bench alone" >&2
  mvn -q -f bench/pom.xml package -DskipTests
fi

CP="$ROOT/bench/target/classes:$(cat "$ROOT/bench/target/bench.classpath")"
JAVA="${JAVA:-java}"
EXTRA=()
feature="$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
if [[ "${feature%%.*}" -ge 24 ]]; then
  EXTRA+=(--sun-misc-unsafe-memory-access=allow)
fi

exec "$JAVA" @"$JVM_ARGS_FILE" "${EXTRA[@]}" -Dvia.jvmArgsFile="$JVM_ARGS_FILE" -cp "$CP" \
  io.viaemu.bench.BenchMain --out "$ROOT/bench/target/bench-results.md" "$@"
