"""Lists of groups imported from CSV or XLSX: in the browser (the group_import blueprint) or with the
`geoapp import-groups` command."""
