"""`python -m service`: the same command line as `companion`."""

from service.cli import main

main()
