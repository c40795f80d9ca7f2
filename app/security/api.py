"""The REST login (/api/v1/security/login): FAB's, but not a way around two-factor login, and
its refusals in Vietnamese."""
from flask import g, request
from flask_appbuilder.api import expose, safe
from flask_appbuilder.const import API_SECURITY_ACCESS_TOKEN_KEY, API_SECURITY_REFRESH_TOKEN_KEY
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.schemas import LoginPost
from flask_babel import gettext as _
from flask_jwt_extended import create_access_token, create_refresh_token
from marshmallow import ValidationError, fields

from app.security import twofactor


class LoginWithCode(LoginPost):
    totp = fields.String(required=False, allow_none=True)


login_with_code = LoginWithCode()


class EofficeSecurityApi(SecurityApi):
    def refused(self, message):
        return self.response(401, message=message)  # FAB's response_401 takes no message

    @expose("/login", methods=["POST"])
    @safe
    def login(self):
        """Log in and get a JWT (and a refresh token if asked)
        ---
        post:
          description: >-
            Đăng nhập bằng tên đăng nhập và mật khẩu; tài khoản đã bật xác thực hai bước gửi
            kèm mã 6 chữ số trong `totp`.
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [username, password]
                  properties:
                    username:
                      type: string
                    password:
                      type: string
                    provider:
                      type: string
                      enum: [db]
                    refresh:
                      type: boolean
                    totp:
                      description: Mã xác thực hai bước (6 chữ số), nếu tài khoản đã bật
                      type: string
          responses:
            200:
              description: Đăng nhập thành công
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      access_token:
                        type: string
                      refresh_token:
                        type: string
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
        """
        if not request.is_json:
            return self.response_400(message=_("Nội dung yêu cầu phải là JSON."))
        try:
            payload = login_with_code.load(request.get_json())
        except ValidationError as error:
            return self.response_400(message=error.messages)
        sm = self.appbuilder.sm
        # Unknown name, wrong password, locked account, missing or wrong code: one answer,
        # so that whoever types a name learns nothing about the account.
        refused = _("Tên đăng nhập, mật khẩu hoặc mã xác thực không đúng.")
        user = sm.auth_user_db(payload["username"], payload["password"])
        if not user:
            return self.refused(refused)
        if twofactor.is_enabled(user):
            if not twofactor.clean_code(payload.get("totp")):
                return self.refused(refused)
            if not twofactor.use_code(sm.session, user, payload["totp"]):
                twofactor.login_code_failed(sm.session, user)
                return self.refused(refused)
            g.second_factor_ok = True
            sm.update_user_auth_stat(user, True)
        elif twofactor.must_enrol(user):
            return self.refused(_(
                "Vai trò của bạn bắt buộc xác thực hai bước: hãy bật trên giao diện web "
                "(Xác thực hai bước) trước khi dùng API."))
        if user.must_change_password:
            return self.response(403, message=_(
                "Bạn đang dùng mật khẩu tạm thời: hãy đăng nhập trên giao diện web và đổi "
                "mật khẩu trước khi dùng API."))
        tokens = {API_SECURITY_ACCESS_TOKEN_KEY: create_access_token(identity=str(user.id),
                                                                     fresh=True)}
        if payload.get("refresh"):
            tokens[API_SECURITY_REFRESH_TOKEN_KEY] = create_refresh_token(identity=str(user.id))
        return self.response(200, **tokens)
