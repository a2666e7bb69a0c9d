"""Enterprise filing: who may talk to customs, in which roles, with which credentials."""
