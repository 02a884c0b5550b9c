#!/usr/bin/env bash
# Builds the Pulumi CLI from the Go module proxy at exactly the version of @pulumi/pulumi in
# package.json, stamped with that version, into tools/pulumi-cli/bin/pulumi (git-ignored).
# Reuses the binary when it is present and reports that version. Needs Go (the Pulumi module asks for 1.25+; an older Go fetches that toolchain through the proxy).
#
# Why a wrapper module: github.com/pulumi/pulumi/pkg/v3's own go.mod replaces sdk/v3 with ../sdk,
# so `go install ...@vX` refuses it; a module that depends on it ignores a dependency's replace
# lines. Without the -ldflags stamp `pulumi version` prints nothing and the Automation API refuses
# the CLI ("Failed to get Pulumi version"). Recipe: ../shared/notes/pulumi-engine.md.
#
# Cold (empty Go caches): about 6 minutes here; warm: seconds. Usage: tools/pulumi-cli/build.sh [--force]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
version="v$(node -p 'require(process.argv[1]).dependencies["@pulumi/pulumi"]' "$root/package.json")"
bin="$here/bin/pulumi"
log() { printf 'pulumi-cli: %s\n' "$*" >&2; }

if [[ "${1:-}" != "--force" && -x "$bin" ]]; then
  have="$("$bin" version 2>/dev/null || true)"
  if [[ "$have" == "$version" ]]; then
    log "reusing $bin ($have)"
    exit 0
  fi
  log "found $bin at '${have:-unknown}', package.json wants $version: rebuilding"
fi

command -v go >/dev/null || { log "go must be on PATH to build the CLI; found none. Install Go 1.25+ (https://go.dev/dl/)."; exit 1; }
started=$SECONDS
build="$here/build"
mkdir -p "$build" "$here/bin"
cd "$build"
cat > go.mod <<MOD
module local/pulumicli

go 1.23
MOD
rm -f go.sum
printf '//go:build tools\npackage tools\n\nimport _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"\n' > tools.go
log "resolving github.com/pulumi/pulumi/pkg/v3@$version and sdk/v3@$version (Go module proxy)"
GOFLAGS=-mod=mod go get "github.com/pulumi/pulumi/pkg/v3@$version" "github.com/pulumi/pulumi/sdk/v3@$version" 2>&1 \
  | grep -Ev '^go: (downloading|added|upgraded)' >&2 || true
log "compiling (a cold Go cache takes minutes; progress: go build -v)"
GOFLAGS=-mod=mod go build -v \
  -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
  -o "$bin.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi 2>&1 \
  | awk '{ n++ } n % 200 == 0 { printf "pulumi-cli: compiled %d packages (%s)\n", n, $0 > "/dev/stderr"; fflush() }'
[[ ${PIPESTATUS[0]} -eq 0 ]] || { log "go build failed"; exit 1; }
mv "$bin.tmp" "$bin"
have="$("$bin" version)"
[[ "$have" == "$version" ]] || { log "built CLI must report $version; found '$have'."; exit 1; }
log "built $bin ($have) in $((SECONDS - started)) s"
