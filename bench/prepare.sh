# Sourced by each bench/*.sh: work from the repository's root, with what the
# build needs installed (scripts/install-deps), and `bench_needs` for the tools
# a benchmark runs: `bench_needs wrk strip=binutils` installs each missing
# command's Debian package (the command's own name unless given after "=").
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-deps
sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
bench_needs() {
  local spec
  for spec in "$@"; do
    command -v "${spec%%=*}" >/dev/null || sudo_if_needed apt-get install -y -q "${spec#*=}" >/dev/null
  done
}
