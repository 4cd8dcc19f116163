"""One module per delivered source; each reads the economy's state and writes its files."""
