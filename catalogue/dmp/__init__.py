"""Data management plans: the interfaces (receivers, admin upload, REST) around services.dmp."""
