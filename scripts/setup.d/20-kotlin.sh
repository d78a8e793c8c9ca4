#!/usr/bin/env bash
# The Kotlin suite (scripts/tests.d/20-kotlin.sh) needs a JDK (17+) and Maven;
# Maven fetches the Kotlin compiler, JUnit, JNA and kotlinx-coroutines from
# Maven Central on its first run and keeps them in ~/.m2.
set -euo pipefail
if command -v java >/dev/null && command -v mvn >/dev/null \
   && java -version 2>&1 | grep -Eq 'version "(1[7-9]|[2-9][0-9])'; then
  echo "JDK and Maven already installed"
else
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends openjdk-17-jdk-headless maven
fi
# python3 reads cargo metadata in scripts/gen-bindings.
command -v python3 >/dev/null || { apt-get update && apt-get install -y --no-install-recommends python3; }
cd "$(dirname "$0")/../.."
# Warm the Maven cache (plugins and dependencies) so the test run only compiles.
mvn -B -ntp -q -f android-shim/jvm-test/pom.xml dependency:resolve dependency:resolve-plugins >/dev/null \
  || echo "warning: could not prefetch Maven artifacts; the test run will try again"
# And the JMH module's (JMH, its annotation processor, the shade plugin), which
# scripts/tests.d/75-jmh-build.sh compiles.
mvn -B -ntp -q -f android-shim/jmh/pom.xml dependency:resolve dependency:resolve-plugins >/dev/null \
  || echo "warning: could not prefetch the JMH module's Maven artifacts; the build will try again"
