"""One module per `osconf` sub-command (see `osconf.cli.COMMANDS`)."""
