"""Reports: tables and charts computed once, rendered as HTML, PDF, CSV and XLSX."""
