"""Lab authoring: student notebooks from solutions/, Gradescope zips."""
