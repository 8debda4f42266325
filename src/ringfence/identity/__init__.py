"""ID governance: account reconciliation against HR, authentication-function reviews, access certification
and the company-wide password change."""
