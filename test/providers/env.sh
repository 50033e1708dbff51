# Source this (`. test/providers/env.sh`, from bash or sh, any directory) before running the Pulumi CLI
# against the provider doubles: the engine then launches test/providers/bin/pulumi-resource-{docker,aws}
# instead of downloading the real providers. An executable named pulumi-resource-<pkg> on PATH is an
# "ambient" plugin, which the engine prefers over installed ones
# (sdk/go/common/workspace/plugins.go getPluginInfoAndPath: exec.LookPath).

# Where this file is: bash names it in BASH_SOURCE, zsh in %x; a POSIX sh (dash) does not say, but
# holds the file open while sourcing it, so it is one of the shell's descriptors under /proc.
_slipway_env=
if [ -n "${BASH_SOURCE:-}" ]; then
  _slipway_env=$BASH_SOURCE
elif [ -n "${ZSH_VERSION:-}" ]; then
  eval '_slipway_env=${(%):-%x}'
else
  for _slipway_fd in /proc/$$/fd/*; do
    _slipway_link=$(readlink "$_slipway_fd" 2>/dev/null) || continue
    case $_slipway_link in */test/providers/env.sh) _slipway_env=$_slipway_link; break ;; esac
  done
fi
if [ -z "$_slipway_env" ]; then
  echo "test/providers/env.sh: cannot tell where it is; source it from bash, zsh or a POSIX sh on Linux" >&2
  return 1 2>/dev/null || exit 1
fi
# The repository root, three levels up from this file, as an absolute path.
SLIPWAY_ROOT=$(CDPATH= cd -- "$(dirname -- "$_slipway_env")/../.." && pwd -P)
export SLIPWAY_ROOT
unset _slipway_env _slipway_fd _slipway_link

# The doubles first, so they win over any real provider on PATH; then the Pulumi CLI Slipway installs
# into .slipway/pulumi/bin (with its bundled language hosts, which the engine also looks up on PATH).
PATH="$SLIPWAY_ROOT/test/providers/bin:$SLIPWAY_ROOT/.slipway/pulumi/bin:$PATH"
export PATH

# No "a new version of Pulumi is available" check: it calls the network, and there is none here.
export PULUMI_SKIP_UPDATE_CHECK=true
# Never download a plugin: a missing one must fail at once ("plugin … not installed"), not try the
# network (pkg/engine/plugins.go ensurePluginsAreInstalled).
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
# Ambient plugins are what makes the doubles run; this variable would make the engine skip them.
unset PULUMI_IGNORE_AMBIENT_PLUGINS
