def test_login_page_is_vietnamese(client):
    html = client.get("/login/").get_data(as_text=True)
    assert '<html lang="vi">' in html
    assert "Đăng nhập" in html
