"""portolan sample generator: deterministic captures built from the protocol specifications."""
