"""`python -m monitor` is `rights-monitor`."""

from monitor.cli import main

main()
