"""`companion doctor`: why a participant-attributes REST call returned 2xx and stored nothing, and the right call."""
