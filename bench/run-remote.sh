#!/usr/bin/env bash
# Clients on other hosts (issue 15): round trip and streaming across two network namespaces joined by a veth pair,
# TCP over the veth, raw Aeron UDP and via-emu through the Aeron gateway, in one run. Needs root (ip netns).
#   flock /tmp/via-bench.lock bench/run-remote.sh [--rtt 100000] [--stream-mib 256] (defaults) [--idle busy|backoff] [--via-pauser busy|yielding|backoff]
#       [--contenders tcp,aeron-udp,aeron-udp-driver,via-aeron] (aeron-udp-driver: raw Aeron, the server host's driver a standalone process)
# Profiling: REMOTE_BENCH_OPTS="-Dremote.bench.profile=DIR" runs async-profiler (wall clock, per thread; the library
# from -Dremote.bench.profiler, default /tmp/ap-aeron/linux-x64/libasyncProfiler.so) in every peer JVM, DIR/NAME.collapsed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
JVM_ARGS_FILE="$ROOT/via-emu-core/src/main/resources/META-INF/via-emu/jvm.args"
mvn -q -o -pl bench -am package -DskipTests
CP="$ROOT/bench/target/classes:$(cat "$ROOT/bench/target/bench.classpath")"
exec "${JAVA:-java}" @"$JVM_ARGS_FILE" ${REMOTE_BENCH_OPTS:-} -cp "$CP" io.viaemu.bench.remote.RemoteBench "$@"
