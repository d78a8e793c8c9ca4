#!/usr/bin/env bash
# Compiles the Kotlin FFI benchmarks (android-shim/jmh) into their
# JMH jar without running them; scripts/bench-kotlin runs them. Reuses the
# test-service bindings that 20-kotlin.sh has just generated, so no cargo build
# here: only kotlinc, javac with JMH's annotation processor, and the shade step.
set -euo pipefail
cd "$(dirname "$0")/../.."
generated="$PWD/bindings/generated/test-service"
[ -d "$generated/kotlin" ] || { echo "no bindings in $generated: run scripts/tests.d/20-kotlin.sh (or scripts/gen-bindings --test-service) first" >&2; exit 1; }
mvn -B -ntp -q -f android-shim/jmh/pom.xml package -DskipTests -Dakuersi.generated="$generated"
test -s android-shim/jmh/target/benchmarks.jar
# The annotation processor ran and found every benchmark.
for b in trivialCall listPending; do
  grep -q "FfiBench.*$b" android-shim/jmh/target/classes/META-INF/BenchmarkList \
    || { echo "JMH did not generate $b" >&2; exit 1; }
done
echo "android-shim/jmh builds: $(wc -l < android-shim/jmh/target/classes/META-INF/BenchmarkList) benchmarks"
