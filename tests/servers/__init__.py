"""Real servers on 127.0.0.1 that tests drive, one module per server or fixture set."""
