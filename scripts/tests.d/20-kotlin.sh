#!/usr/bin/env bash
# Kotlin on the host JVM: builds the library with the test-only in-process
# service, generates its bindings, then compiles android-shim's pure-Kotlin
# sources with them and runs the JUnit tests (JNA loads the host library).
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/gen-bindings --test-service
mvn -B -ntp -f android-shim/jvm-test/pom.xml test \
  -Dakuersi.generated="$PWD/bindings/generated/test-service"
