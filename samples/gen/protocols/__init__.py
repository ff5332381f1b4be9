"""Application payload builders, one module per protocol, written from the specifications."""
