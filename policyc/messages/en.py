"""English messages. Keys are shared with `zh.py`; see `policyc.messages`."""

MESSAGES: dict[str, str] = {
    "lang.name": "English",
    # output: where results are written (policyc/io/atomic.py, policyc/cli/common.py)
    "output.is_input": "it is {what} of this run (`{path}`): the results would overwrite it",
    "output.directory": "it is a directory",
    "output.no_folder": "the directory `{folder}` does not exist",
    "output.not_a_folder": "the directory `{folder}` is not a directory",
    "output.no_create": "no permission to create files in `{folder}`",
    "output.read_only": "the file is read-only (make it writable, or choose another name)",
    "output.no_permission": "no permission to write the file",
    "output.block_device": "it is a block device (a disk): results are never written there",
    "output.socket": "it is a socket",
    "output.what.records": "the records file",
    "output.what.policy": "a policy",
    "output.stdout_failed": "policyc: cannot write to standard output: {reason}",
    "output.cannot_read": "{prog}: cannot read `{path}`: {reason}",
    # api: the library (policyc/api.py)
    "api.policy_errors": "{name}: the policy has {count} error(s)",
    "api.no_policy_file": "no policy file (give a path, or policy text with its newlines)",
    "api.missing_extra": "{module} is not installed: `pip install {module}` to use it with policyc",
    "api.no_row": "no row for employee `{employee}` (period {period}) in the records",
    "api.bad_records": "records are a path, an iterable of dicts, a pandas or Polars DataFrame or an Arrow table, not {type}",
    "api.bad_row": "each record is a dict of column -> value, not {type}",
}
