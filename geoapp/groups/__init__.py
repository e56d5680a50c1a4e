"""Community, voluntary and faith groups: one subpackage per blueprint (directory, submissions, imports, coverage),
with the record check (:mod:`.records`) and the borough placement (:mod:`.placement`) they share."""
