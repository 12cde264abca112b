"""Brand analytics and the monthly client report: periods, business time, the SQL figures, the
written summary, CSV tables and the PDF. Leads and admins only, always one brand in scope."""
