"""Sao y điện tử (Decree 30/2020 Art. 25–27, Appendix I): the clerk turns a paper original into
an electronic copy with legal value — the scan, marked "SAO Y" with the agency's name, the
copy's number and the time, signed with the agency's digital signature."""
