"""`companion export`: data actions, Terraform and Archy flows generated from schemas/."""
