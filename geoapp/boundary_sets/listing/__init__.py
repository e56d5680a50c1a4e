"""The boundary sets listed on the command line (`geoapp sets`), apart from the commands that import and export
them, so that listing loads none of the file readers and loaders."""
