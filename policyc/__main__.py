"""`python -m policyc ARGS`: the `policyc` command."""

from policyc.cli.main import main

main()
