"""Request forms (phiếu yêu cầu)."""
