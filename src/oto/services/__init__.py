"""The one Python API of OTO: every interface calls these modules, and all validation lives here."""
