#!/usr/bin/env bash
# Regenerates bridge/src/main/c/jvfio_uapi.h and bridge/src/test/rust/src/uapi.rs from the api
# records (UapiHeaderTest checks both).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)"
(cd "$root" && ./mvnw -q -B -o -DskipTests -pl bridge -am package)
java -cp "$root/bridge/target/jvfio-bridge.jar" org.jvfio.bridge.UapiHeader \
  "$root/bridge/src/main/c/jvfio_uapi.h" "$root/bridge/src/test/rust/src/uapi.rs"
