#!/usr/bin/env bash
# SoftHSM2, the PKCS#11 token that server/tests/pkcs11.rs keeps the service's
# keys on (the test only skips, with a message, when the module is missing).
set -euo pipefail
if [ -e /usr/lib/softhsm/libsofthsm2.so ] || [ -e /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so ]; then
  echo "softhsm2 already installed"
else
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq softhsm2
fi
