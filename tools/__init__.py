"""What developers and demonstrations run, apart from what users call: the local stack
(`partnerships dev`, which `make run` runs) and the historical demo (`partnerships demo`)."""
