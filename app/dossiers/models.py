"""Work dossiers (hồ sơ công việc) and the yearly dossier plan (danh mục hồ sơ)."""
