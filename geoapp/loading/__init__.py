"""Loading data into the store: area manifests, single files, the demo borough, and their commands."""
